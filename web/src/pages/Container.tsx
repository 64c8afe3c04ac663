import { useState } from "react";
import fallbackDefinition from "../../../src/pipeline/digitize.asl.json";
import {
  ApiError,
  type AslDefinition,
  type ContainerExecution,
  fileUrl,
  getContainer,
  getExecution,
  getHistory,
  listInvoices,
  redrive,
  reprocess,
  type StateRun,
} from "../api";
import { Card, ErrorNote, StateBadge } from "../components";
import { bytes, json, time } from "../format";
import { ExecutionGraph, STATUS_LABEL, StatusLegend } from "../graph/ExecutionGraph";
import { usePoll } from "../poll";
import { Link, useTitle } from "../router";

const LIVE_MILLIS = 2_000;

/** The execution, or why there is none to show: a server without the execution route gets the bare definition. */
type ExecutionView =
  | { kind: "execution"; value: ContainerExecution }
  | { kind: "unavailable"; reason: string };

async function loadExecution(id: string, signal: AbortSignal): Promise<ExecutionView> {
  try {
    return { kind: "execution", value: await getExecution(id, signal) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      return { kind: "unavailable", reason: error.message };
    throw error;
  }
}

/** A cause's message: Lambda's `{errorType, errorMessage, trace}` gives its errorMessage, else the first line. */
function causeSummary(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // not JSON: the text itself
  }
  const line = cause.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export function ContainerPage({ id }: { id: string }) {
  useTitle(`Container ${id}`);
  const container = usePoll((signal) => getContainer(id, signal), [id], LIVE_MILLIS);
  const invoices = usePoll((signal) => listInvoices({ container: id, limit: 100 }, signal), [id], 5_000);
  const execution = usePoll((signal) => loadExecution(id, signal), [id], LIVE_MILLIS);
  const [failuresOnly, setFailuresOnly] = useState(false);
  const history = usePoll(
    (signal) => getHistory(id, { failuresOnly, limit: 200 }, signal),
    [id, failuresOnly],
    5_000,
  );
  const [selected, setSelected] = useState<string>();
  const [action, setAction] = useState<{ busy?: string; message?: string; error?: Error }>({});

  const c = container.data;
  const run = async (
    name: "Reprocess" | "Redrive",
    call: (id: string) => Promise<{ executionArn: string }>,
  ) => {
    setAction({ busy: name });
    try {
      const answer = await call(id);
      setAction({ message: `${name} started: ${answer.executionArn}` });
    } catch (error) {
      setAction({ error: error as Error });
    }
    container.refresh();
    execution.refresh();
    history.refresh();
  };

  const executionValue = execution.data?.kind === "execution" ? execution.data.value : undefined;
  const definition: AslDefinition = executionValue?.definition ?? (fallbackDefinition as AslDefinition);
  const states: Record<string, StateRun> = executionValue?.states ?? {};
  const selectedRun = selected ? states[selected] : undefined;

  return (
    <div className="page">
      <header className="page-header">
        <h1>
          <Link to="/containers">Containers</Link> / <span data-testid="container-name">{c?.name ?? id}</span>
        </h1>
        {c ? <StateBadge state={c.state} /> : null}
      </header>
      <ErrorNote error={container.error} />
      {c ? (
        <div className="columns">
          <Card title="File" testId="file-facts">
            <dl className="facts">
              <dt>Name</dt>
              <dd>{c.name}</dd>
              <dt>Size</dt>
              <dd>
                {bytes(c.size)} ({c.size.toLocaleString()} bytes)
              </dd>
              <dt>Source</dt>
              <dd>{c.source}</dd>
              <dt>Received</dt>
              <dd>{time(c.receivedAt)}</dd>
              <dt>State</dt>
              <dd>
                <StateBadge state={c.state} />
              </dd>
              {c.error ? (
                <>
                  <dt>Error</dt>
                  <dd className="error-text" data-testid="container-error">
                    {c.error}
                  </dd>
                </>
              ) : null}
              <dt>Invoices</dt>
              <dd>
                {c.invoiceCount} created{c.parsedCount !== null ? `, ${c.parsedCount} parsed` : ""}
              </dd>
              <dt>SHA-256</dt>
              <dd className="mono small">{c.sha256}</dd>
              <dt>Execution</dt>
              <dd className="mono small">{c.executionArn}</dd>
            </dl>
            <p className="actions">
              <a href={fileUrl(c.id)} download={c.name} className="button" data-testid="download">
                Download file
              </a>
              <button
                type="button"
                data-testid="reprocess"
                disabled={action.busy !== undefined || (c.state !== "Done" && c.state !== "Error")}
                onClick={() => void run("Reprocess", reprocess)}
                title="Start over under a new execution"
              >
                Reprocess
              </button>
              <button
                type="button"
                data-testid="redrive"
                disabled={action.busy !== undefined || c.state !== "Error"}
                onClick={() => void run("Redrive", redrive)}
                title="Go on from the state that failed"
              >
                Redrive
              </button>
            </p>
            {action.message ? (
              <p className="ok" data-testid="action-message">
                {action.message}
              </p>
            ) : null}
            <ErrorNote error={action.error} />
          </Card>
          <Card title="Transitions" testId="transitions">
            <ol className="transitions">
              {c.transitions.map((transition) => (
                <li key={`${transition.state}-${transition.at}`}>
                  <StateBadge state={transition.state} /> {time(transition.at)}
                  {transition.reason ? <span className="muted"> · {transition.reason}</span> : null}
                </li>
              ))}
            </ol>
            {c.warnings.length > 0 ? (
              <>
                <h3>Warnings</h3>
                <ul className="warnings">
                  {c.warnings.map((warning, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: warnings have no identity of their own
                    <li key={index}>
                      <code>{warning.code}</code> {warning.message}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </Card>
        </div>
      ) : null}

      <Card title="Execution" testId="execution" className="execution-card">
        {executionValue ? (
          <div
            className="execution-summary"
            data-testid="execution-status"
            data-status={executionValue.execution.status}
          >
            <span className={`exec-status exec-${executionValue.execution.status}`}>
              {executionValue.execution.status}
            </span>{" "}
            started {time(executionValue.execution.startDate)}
            {executionValue.execution.stopDate ? `, stopped ${time(executionValue.execution.stopDate)}` : ""}
            {executionValue.execution.redriveCount > 0
              ? ` · redriven ${executionValue.execution.redriveCount}×`
              : ""}
            {executionValue.execution.error ? (
              <span className="error-text" data-testid="execution-error">
                {" "}
                · {executionValue.execution.error}
                {executionValue.execution.cause ? `: ${causeSummary(executionValue.execution.cause)}` : ""}
              </span>
            ) : null}
            {executionValue.execution.cause ? (
              <details>
                <summary>cause</summary>
                <pre>{json(executionValue.execution.cause)}</pre>
              </details>
            ) : null}
          </div>
        ) : null}
        {execution.data?.kind === "unavailable" ? (
          <p className="muted" data-testid="execution-unavailable">
            No execution details from this server ({execution.data.reason}): the graph shows the digitize
            definition only.
          </p>
        ) : null}
        <ErrorNote error={execution.error} />
        <div className="graph-with-panel">
          <ExecutionGraph
            definition={definition}
            states={states}
            selected={selected}
            onSelect={setSelected}
          />
          {selected ? (
            <aside className="state-panel" data-testid="state-panel">
              <header>
                <h3>{selected}</h3>
                <button type="button" onClick={() => setSelected(undefined)} aria-label="Close">
                  ×
                </button>
              </header>
              <p>
                <span className={`swatch status-${selectedRun?.status ?? "notReached"}`} />{" "}
                {STATUS_LABEL[selectedRun?.status ?? "notReached"]}
                {selectedRun?.enteredAt ? ` · entered ${time(selectedRun.enteredAt)}` : ""}
                {selectedRun?.exitedAt ? ` · exited ${time(selectedRun.exitedAt)}` : ""}
              </p>
              {selectedRun?.iterations ? (
                <p>
                  Iterations: {selectedRun.iterations.succeeded} succeeded, {selectedRun.iterations.failed}{" "}
                  failed, {selectedRun.iterations.running} running of {selectedRun.iterations.total}
                </p>
              ) : null}
              {selectedRun?.error || selectedRun?.cause ? (
                <>
                  <h4>Error</h4>
                  <pre className="error-text" data-testid="state-error">
                    {selectedRun.error}
                    {selectedRun.cause ? `\n${json(selectedRun.cause)}` : ""}
                  </pre>
                </>
              ) : null}
              <h4>Input</h4>
              <pre data-testid="state-input">
                {selectedRun?.input !== undefined ? json(selectedRun.input) : "—"}
              </pre>
              <h4>Output</h4>
              <pre data-testid="state-output">
                {selectedRun?.output !== undefined ? json(selectedRun.output) : "—"}
              </pre>
            </aside>
          ) : null}
        </div>
        <StatusLegend />
      </Card>

      <Card title="Event history" testId="history">
        <label className="checkbox">
          <input
            type="checkbox"
            data-testid="failures-only"
            checked={failuresOnly}
            onChange={(event) => setFailuresOnly(event.target.checked)}
          />{" "}
          Failures only
        </label>
        {history.error ? (
          <p className="muted">
            {history.error instanceof ApiError && history.error.status === 404
              ? "This server has no event history route yet."
              : history.error.message}
          </p>
        ) : null}
        {history.data ? (
          <table className="history" data-testid="history-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Time</th>
                <th>Type</th>
                <th>State</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {history.data.events.map((event) => (
                <tr key={event.id} className={/Fail|TimedOut|Abort/.test(event.type) ? "failure" : ""}>
                  <td className="number">{event.id}</td>
                  <td>{time(event.timestamp)}</td>
                  <td>{event.type}</td>
                  <td>{event.stateName ?? ""}</td>
                  <td>
                    {event.details !== undefined ? (
                      <details>
                        <summary>details</summary>
                        <pre>{json(event.details)}</pre>
                      </details>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {history.data?.nextCursor ? <p className="muted">Showing the first 200 events.</p> : null}
      </Card>

      <Card title="Invoices" testId="invoices">
        <ErrorNote error={invoices.error} />
        {invoices.data && invoices.data.items.length === 0 ? <p className="muted">No invoice yet.</p> : null}
        {invoices.data && invoices.data.items.length > 0 ? (
          <table data-testid="invoices-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Number</th>
                <th>Type</th>
                <th>Date</th>
                <th>Supplier</th>
                <th>Total</th>
                <th>Checks</th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.items.map((invoice) => (
                <tr key={invoice.id} data-testid="invoice-row">
                  <td className="number">{invoice.key}</td>
                  <td>
                    <Link to={`/invoices/${invoice.id}`}>{invoice.number}</Link>
                  </td>
                  <td>{invoice.type === "creditMemo" ? "credit memo" : "invoice"}</td>
                  <td>{invoice.date ?? ""}</td>
                  <td>{invoice.supplier}</td>
                  <td className="number">
                    {invoice.total} {invoice.currency ?? ""}
                  </td>
                  <td className="small">
                    {invoice.checks
                      ? [
                          `supplier ${invoice.checks.supplier}`,
                          `totals ${invoice.checks.totals}`,
                          invoice.checks.duplicate ? "duplicate" : "",
                        ]
                          .filter(Boolean)
                          .join(" · ")
                      : ""}
                    {invoice.duplicateOf ? (
                      <>
                        {" "}
                        (of <Link to={`/invoices/${invoice.duplicateOf}`}>{invoice.duplicateOf}</Link>)
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {invoices.data?.nextCursor ? (
          <p className="muted">
            Showing the first 100 invoices:{" "}
            <Link to={`/invoices?container=${encodeURIComponent(id)}`}>
              all of them on the Invoices page →
            </Link>
          </p>
        ) : null}
      </Card>
    </div>
  );
}
