import { RedriveButton, RedriveResult, useRowAction } from "../action";
import {
  EXECUTION_STATUSES,
  type ExecutionStatus,
  type ExecutionSummary,
  listExecutions,
  redriveExecution,
} from "../api";
import { ErrorNote } from "../components";
import { time } from "../format";
import { usePoll } from "../poll";
import { Link, useTitle } from "../router";
import { useUrlFilters } from "../urlFilters";

const REFRESH_MILLIS = 3_000;
const LIMIT = 100;
const REDRIVABLE: ReadonlySet<ExecutionStatus> = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);

/** The state machine's name, the last part of its ARN. */
export const machineName = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);

/** The container an execution digitizes, when its name is a container's id (`c_...`, or `c_...-rN` reprocessed). */
export function containerOf(name: string): string | undefined {
  return /^(c_[A-Za-z0-9_-]{20})(?:-r\d+)?$/.exec(name)?.[1];
}

/** A cause to read: a task's JSON error's message (its stack trace left in the tooltip), or the text. */
export function causeText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // Not JSON: the cause as it is.
  }
  return cause.length > 200 ? `${cause.slice(0, 200)}…` : cause;
}

function statusOf(value: string | null): ExecutionStatus | undefined {
  return EXECUTION_STATUSES.find((status) => status === value);
}

function ExecutionRow({ execution, onChanged }: { execution: ExecutionSummary; onChanged: () => void }) {
  const redrive = useRowAction<string>(onChanged);
  const container = containerOf(execution.name);
  return (
    <tr data-testid="execution-row" data-status={execution.status} data-name={execution.name}>
      <td>
        <span className={`badge exec-badge exec-${execution.status}`} data-testid="execution-status">
          {execution.status}
        </span>
      </td>
      <td title={execution.stateMachineArn}>{machineName(execution.stateMachineArn)}</td>
      <td className="mono small" title={execution.executionArn}>
        {container ? (
          <Link to={`/containers/${container}`} testId="execution-container">
            {execution.name}
          </Link>
        ) : (
          execution.name
        )}
      </td>
      <td title={execution.startDate}>{time(execution.startDate)}</td>
      <td title={execution.stopDate}>{time(execution.stopDate)}</td>
      <td className="number">{execution.redriveCount || ""}</td>
      <td className="error-text" data-testid="execution-error">
        {execution.error ? <strong>{execution.error}</strong> : null}
        {execution.cause ? (
          <div className="small cause" title={execution.cause}>
            {causeText(execution.cause)}
          </div>
        ) : null}
      </td>
      <td>
        {REDRIVABLE.has(execution.status) ? (
          <RedriveButton
            busy={redrive.busy}
            onClick={() =>
              void redrive.run(
                async () =>
                  `Redrive started ${time((await redriveExecution(execution.executionArn)).redriveDate)}`,
              )
            }
            testId="redrive-execution"
            title={
              container
                ? "Goes on from the state that failed; the container's own Redrive also sets it Processing"
                : "Goes on from the state that failed"
            }
          />
        ) : null}{" "}
        <RedriveResult result={redrive.result} />
      </td>
    </tr>
  );
}

export function ExecutionsPage() {
  useTitle("Executions");
  const { query, setQuery } = useUrlFilters("/executions");
  const status = statusOf(query.get("status"));
  const { data, error, refresh } = usePoll(
    (signal) => listExecutions({ status, limit: LIMIT }, signal),
    [status],
    REFRESH_MILLIS,
  );
  const executions = data?.executions ?? [];
  return (
    <div className="page">
      <header className="page-header">
        <h1>Executions</h1>
        <span className="live" title="Refreshed every 3 seconds">
          live
        </span>
      </header>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Status{" "}
          <select
            data-testid="status-filter"
            value={status ?? ""}
            onChange={(event) => setQuery({ status: event.target.value })}
          >
            <option value="">All, failed first</option>
            {EXECUTION_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          Every state machine's executions, newest first (the latest {LIMIT}).
        </span>
      </form>
      <ErrorNote error={error} />
      {data && executions.length === 0 ? <p className="muted">No execution matches.</p> : null}
      {executions.length > 0 ? (
        <table data-testid="executions-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>State machine</th>
              <th>Name</th>
              <th>Started</th>
              <th>Stopped</th>
              <th className="number">Redrives</th>
              <th>Error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {executions.map((execution) => (
              <ExecutionRow key={execution.executionArn} execution={execution} onChanged={refresh} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
