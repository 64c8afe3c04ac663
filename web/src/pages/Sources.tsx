import { useRowAction } from "../action";
import { listSources, type PollReport, pollSource, type Source } from "../api";
import { ErrorNote } from "../components";
import { ago, time } from "../format";
import { usePoll } from "../poll";
import { Link, useTitle } from "../router";

/** Where a source's files come from, from its settings (which name secrets, never hold them). */
function whereOf(source: Source): string {
  const s = source.settings;
  const text = (key: string) =>
    typeof s[key] === "string" || typeof s[key] === "number" ? String(s[key]) : "";
  switch (source.kind) {
    case "folder":
      return text("path");
    case "email":
      return text("address");
    case "imap":
      return `${text("user") ? `${text("user")}@` : ""}${text("host")}${text("port") ? `:${text("port")}` : ""} ${text("mailbox") || "INBOX"}`;
    default: {
      const server = `${text("user") ? `${text("user")}@` : ""}${text("host")}${text("port") ? `:${text("port")}` : ""}`;
      return `${server}${text("directory") ? ` ${text("directory")}` : ""}`;
    }
  }
}

function whenOf(source: Source): string {
  if (source.kind === "email") return "takes mail";
  return source.schedule ?? "on demand";
}

/** What a poll now did, in a line: taken N, ignored, errors. */
function PollResult({ result }: { result: PollReport | Error }) {
  if (result instanceof Error) {
    return (
      <span className="error-text" data-testid="poll-result">
        {result.message}
      </span>
    );
  }
  const failed = result.files.filter((file) => file.error !== undefined);
  const seen = result.files.filter((file) => file.status === "seen" || file.status === "duplicate").length;
  return (
    <span data-testid="poll-result" className={result.error || failed.length > 0 ? "error-text" : "ok"}>
      taken {result.taken}
      {seen > 0 ? `, ${seen} already taken` : ""}
      {result.ignored > 0 ? `, ${result.ignored} not matching the pattern` : ""}
      {failed.length > 0
        ? `, ${failed.length} failed: ${failed.map((f) => `${f.name}: ${f.error}`).join("; ")}`
        : ""}
      {result.error ? ` · ${result.error}` : ""}
      {result.files
        .filter((file) => file.containerId)
        .slice(0, 5)
        .map((file) => (
          <span key={file.containerId}>
            {" "}
            · <Link to={`/containers/${file.containerId}`}>{file.name}</Link>
          </span>
        ))}
    </span>
  );
}

function SourceRow({ source, onPolled }: { source: Source; onPolled: () => void }) {
  const polling = useRowAction<PollReport>(onPolled);
  const poll = () => void polling.run(() => pollSource(source.name));
  return (
    <tr id={source.name} data-testid="source-row" data-source={source.name}>
      <td>
        <strong>{source.name}</strong>
        {source.enabled ? null : (
          <>
            {" "}
            <span className="badge">disabled</span>
          </>
        )}
      </td>
      <td>{source.kind}</td>
      <td className="mono small">{whereOf(source)}</td>
      <td>{whenOf(source)}</td>
      <td title={time(source.lastPollAt)} data-testid="last-poll">
        {source.lastPollAt ? ago(source.lastPollAt) : <span className="muted">never</span>}
      </td>
      <td className="number" data-testid="files-taken">
        {source.filesTaken}
      </td>
      <td className="error-text" data-testid="last-error">
        {source.lastError ?? ""}
      </td>
      <td>
        {source.kind === "email" ? (
          <span className="muted small">pushed by mail</span>
        ) : (
          <>
            <button type="button" onClick={poll} disabled={polling.busy} data-testid="poll-now">
              {polling.busy ? "Polling…" : "Poll now"}
            </button>{" "}
            {polling.result ? <PollResult result={polling.result} /> : null}
          </>
        )}
      </td>
    </tr>
  );
}

export function SourcesPage() {
  useTitle("Sources");
  const { data, error, refresh } = usePoll((signal) => listSources(signal), [], 5_000);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Sources</h1>
        <span className="live">live</span>
      </header>
      <ErrorNote error={error} />
      {data && data.sources.length === 0 ? (
        <p className="muted">
          No source yet. Add one with <code>inflow sources add</code> or <code>POST /v1/sources</code>{" "}
          (docs/sources.md).
        </p>
      ) : null}
      {data && data.sources.length > 0 ? (
        <table data-testid="sources-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Where</th>
              <th>When</th>
              <th>Last poll</th>
              <th className="number">Files taken</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.sources.map((source) => (
              <SourceRow key={source.name} source={source} onPolled={refresh} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
