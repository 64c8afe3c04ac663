import { useState } from "react";
import { type AslState, type ExecutionSummary, listIterations } from "../api";
import { ErrorNote, Toggle } from "../components";
import { time } from "../format";
import { usePoll } from "../poll";

const REFRESH_MILLIS = 5_000;
const LIMIT = 100;
const FAILED: ReadonlySet<string> = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);

/** A distributed Map runs each iteration as an execution of its own, which can be listed and opened. */
export const isDistributedMap = (state: AslState | undefined): boolean =>
  state?.Type === "Map" && state.ItemProcessor?.ProcessorConfig?.Mode === "DISTRIBUTED";

/**
 * The iterations of the container's execution's distributed Map `state`
 * (`GET /v1/containers/{id}/iterations`), the failed ones first; a click opens one.
 */
export function MapIterations(props: {
  containerId: string;
  state: string;
  onOpen: (iteration: ExecutionSummary) => void;
}) {
  const [failedOnly, setFailedOnly] = useState(false);
  const { data, error } = usePoll(
    (signal) =>
      listIterations(
        props.containerId,
        { state: props.state, status: failedOnly ? "FAILED" : undefined, limit: LIMIT },
        signal,
      ),
    [props.containerId, props.state, failedOnly],
    REFRESH_MILLIS,
  );
  // Failed first, each group newest first as listed.
  const iterations = [...(data?.iterations ?? [])].sort(
    (a, b) => Number(FAILED.has(b.status)) - Number(FAILED.has(a.status)),
  );
  return (
    <section className="map-iterations" data-testid="map-iterations">
      <h4>Iterations</h4>
      <Toggle
        checked={failedOnly}
        onChange={setFailedOnly}
        label="Failed only"
        testId="iterations-failed-only"
      />
      <ErrorNote error={error} />
      {data && iterations.length === 0 ? (
        <p className="muted small" data-testid="iterations-empty">
          {failedOnly ? "No failed iteration." : "No iteration yet."}
        </p>
      ) : null}
      <ul className="iterations">
        {iterations.map((iteration) => (
          <li
            key={iteration.executionArn}
            data-testid="iteration-row"
            data-status={iteration.status}
            data-name={iteration.name}
          >
            <button
              type="button"
              className="link"
              data-testid="open-iteration"
              title={`Open this iteration (started ${time(iteration.startDate)})`}
              onClick={() => props.onOpen(iteration)}
            >
              <span className={`badge exec-badge exec-${iteration.status}`}>{iteration.status}</span>{" "}
              <span className="mono small">{iteration.name}</span>
            </button>
            {iteration.error ? (
              <div className="error-text small" data-testid="iteration-error">
                {iteration.error}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      {data && data.iterations.length === LIMIT ? (
        <p className="muted small">The latest {LIMIT} iterations.</p>
      ) : null}
    </section>
  );
}
