import { useRef, useState } from "react";
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
import { Card, ErrorNote, StateBadge, Toggle } from "../components";
import { bytes, json, time } from "../format";
import { ExecutionGraph, STATUS_LABEL, StatusLegend } from "../graph/ExecutionGraph";
import { isDistributedMap, MapIterations } from "../graph/MapIterations";
import { usePoll } from "../poll";
import { Link, navigate, useLocation, useTitle } from "../router";

const LIVE_MILLIS = 2_000;

/**
 * The execution (or `iteration`, one of its distributed Map's), or why there is none to show: a
 * server without the execution route gets the bare definition. Each says which it is, so the page
 * never draws one under the other's breadcrumb while the next loads.
 */
type ExecutionView = { iteration: string | undefined } & (
  | { kind: "execution"; value: ContainerExecution }
  | { kind: "unavailable"; reason: string }
);

async function loadExecution(
  id: string,
  iteration: string | undefined,
  signal: AbortSignal,
): Promise<ExecutionView> {
  try {
    return { iteration, kind: "execution", value: await getExecution(id, iteration, signal) };
  } catch (error) {
    if (iteration === undefined && error instanceof ApiError && error.status === 404)
      return { iteration, kind: "unavailable", reason: error.message };
    throw error;
  }
}

/**
 * The distributed Map of `parent` an iteration belongs to: the one whose ItemProcessor the
 * iteration runs (its definition), by its start and states.
 */
function mapOf(parent: AslDefinition, iteration: AslDefinition): string | undefined {
  const shape = (definition: AslDefinition) =>
    JSON.stringify([definition.StartAt, Object.keys(definition.States).sort()]);
  return Object.entries(parent.States).find(
    ([, state]) => isDistributedMap(state) && shape(state.ItemProcessor!) === shape(iteration),
  )?.[0];
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
  const { query } = useLocation();
  const iteration = query.get("iteration") ?? undefined;
  const execution = usePoll((signal) => loadExecution(id, iteration, signal), [id, iteration], LIVE_MILLIS);
  const [failuresOnly, setFailuresOnly] = useState(false);
  const history = usePoll(
    async (signal) => ({
      iteration,
      ...(await getHistory(id, { failuresOnly, limit: 200, iteration }, signal)),
    }),
    [id, failuresOnly, iteration],
    5_000,
  );
  const historyShown = history.data?.iteration === iteration ? history.data : undefined;
  // The state opened in the graph, in the execution or iteration it was opened in.
  const [selection, setSelection] = useState<{ iteration: string | undefined; state: string }>();
  const selected = selection && selection.iteration === iteration ? selection.state : undefined;
  const setSelected = (state: string | undefined) =>
    setSelection(state === undefined ? undefined : { iteration, state });
  const [action, setAction] = useState<{ busy?: string; message?: string; error?: Error }>({});
  /** Shows the container's execution (with `select`ed state), or one iteration of its distributed Map. */
  const show = (target: { iteration?: string; select?: string }) => {
    setSelection(target.select ? { iteration: target.iteration, state: target.select } : undefined);
    navigate(
      `/containers/${encodeURIComponent(id)}${
        target.iteration ? `?iteration=${encodeURIComponent(target.iteration)}` : ""
      }`,
    );
  };

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

  const shown = execution.data?.iteration === iteration ? execution.data : undefined;
  const executionValue = shown?.kind === "execution" ? shown.value : undefined;
  // The digitize definition until the execution's is read; an iteration's graph waits for its own.
  const definition: AslDefinition | undefined =
    executionValue?.definition ?? (iteration ? undefined : (fallbackDefinition as AslDefinition));
  const states: Record<string, StateRun> = executionValue?.states ?? {};
  // The execution's definition (the last read, else digitize's), for the Map an iteration is of.
  const parentDefinition = useRef(fallbackDefinition as AslDefinition);
  if (!iteration && executionValue) parentDefinition.current = executionValue.definition;
  const mapName =
    executionValue && iteration ? mapOf(parentDefinition.current, executionValue.definition) : undefined;
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
        {iteration ? (
          <nav className="breadcrumb" data-testid="execution-breadcrumb">
            <button
              type="button"
              className="link"
              data-testid="breadcrumb-execution"
              onClick={() => show({})}
            >
              Execution
            </button>
            {" › "}
            {executionValue ? (
              <>
                <button
                  type="button"
                  className="link"
                  data-testid="breadcrumb-map"
                  onClick={() => show(mapName ? { select: mapName } : {})}
                >
                  {mapName ?? "Map"}
                </button>
                {" › "}
                <span className="mono" data-testid="breadcrumb-iteration">
                  {executionValue.execution.name}
                </span>
              </>
            ) : (
              <span className="muted">an iteration</span>
            )}
          </nav>
        ) : null}
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
        {shown?.kind === "unavailable" ? (
          <p className="muted" data-testid="execution-unavailable">
            No execution details from this server ({shown.reason}): the graph shows the digitize definition
            only.
          </p>
        ) : null}
        <ErrorNote error={execution.error} />
        <div className="graph-with-panel">
          {definition ? (
            <ExecutionGraph
              key={iteration ?? "execution"}
              definition={definition}
              states={states}
              selected={selected}
              onSelect={setSelected}
            />
          ) : (
            <div className="graph graph-loading">Reading the iteration…</div>
          )}
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
              {!iteration && isDistributedMap(definition?.States[selected]) ? (
                <MapIterations
                  containerId={id}
                  state={selected}
                  onOpen={(opened) => show({ iteration: opened.executionArn })}
                />
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
        <Toggle
          checked={failuresOnly}
          onChange={setFailuresOnly}
          label="Failures only"
          testId="failures-only"
        />
        {history.error ? (
          <p className="muted">
            {history.error instanceof ApiError && history.error.status === 404
              ? "This server has no event history route yet."
              : history.error.message}
          </p>
        ) : null}
        {historyShown ? (
          <table className="history" data-testid="history-table" data-iteration={iteration ?? ""}>
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
              {historyShown.events.map((event) => (
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
        {historyShown?.nextCursor ? <p className="muted">Showing the first 200 events.</p> : null}
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
