import type { HistoryEvent } from "./history.js";
import type { ExecutionStatus } from "./types.js";

/**
 * What became of each top-level state of one execution, read from its history the way the Step
 * Functions console colours its graph.
 *
 * Glossary
 * - Visit: one stay in a state, from its `…StateEntered` event to its `…StateExited`. A state
 *   visited again (a loop, a redrive) is shown as its last visit.
 * - Failure: an event ending in `Failed` or `TimedOut` during a visit (a task's, a Lambda's, a
 *   map run's, the execution's own). A later success in the same visit (a Retry that worked)
 *   clears it.
 * - Status: `succeeded` (exited, no failure left), `caught` (exited after a failure: a Catch led
 *   on), `failed` (not exited, and the execution ended), `running` (not exited, the execution
 *   goes on: working, waiting or between retries) or `notReached`.
 *
 * A Map's or Parallel's own states are not top-level: their events count towards the Map or
 * Parallel (its iterations are counted from `MapIteration…` events; a distributed Map's are in its
 * map run).
 */
export const STATE_STATUSES = Object.freeze([
  "succeeded",
  "failed",
  "running",
  "caught",
  "notReached",
] as const);
export type StateStatus = (typeof STATE_STATUSES)[number];

export interface IterationCounts {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
}

export interface StateOutcome {
  status: StateStatus;
  enteredAt?: number;
  exitedAt?: number;
  /** JSON text, as the history holds it. */
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** An inline Map's iterations in its last visit. */
  iterations?: IterationCounts;
}

const ENTERED = /^(Pass|Choice|Wait|Succeed|Fail|Task|Map|Parallel)StateEntered$/;
const EXITED = /^(Pass|Choice|Wait|Succeed|Fail|Task|Map|Parallel)StateExited$/;
const FAILURE = /(Failed|TimedOut|Aborted)$/;
const SUCCESS = /^(TaskSucceeded|LambdaFunctionSucceeded|MapRunSucceeded|ActivitySucceeded)$/;

interface Visit {
  name: string;
  enteredAt: number;
  exitedAt?: number;
  input?: string;
  output?: string;
  failure?: { error?: string; cause?: string };
  iterations?: IterationCounts;
}

const textOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Each top-level state's outcome in this execution; states never entered are `notReached`. */
export function stateOutcomes(
  stateNames: readonly string[],
  history: readonly HistoryEvent[],
  executionStatus: ExecutionStatus,
): Record<string, StateOutcome> {
  const topLevel = new Set(stateNames);
  const last = new Map<string, Visit>();
  let current: Visit | undefined;
  let executionFailure: { error?: string; cause?: string } | undefined;

  for (const event of history) {
    const details = event.details ?? {};
    const name = textOf(details.name);
    if (ENTERED.test(event.type) && name !== undefined && topLevel.has(name) && current === undefined) {
      current = {
        name,
        enteredAt: event.timestamp,
        ...(textOf(details.input) ? { input: textOf(details.input) } : {}),
      };
      last.set(name, current);
    } else if (EXITED.test(event.type) && current !== undefined && name === current.name) {
      current.exitedAt = event.timestamp;
      const output = textOf(details.output);
      if (output !== undefined) current.output = output;
      current = undefined;
    } else if (event.type === "ExecutionRedriven") {
      executionFailure = undefined;
    } else if (event.type.startsWith("MapIteration") && current !== undefined) {
      current.iterations ??= { total: 0, succeeded: 0, failed: 0, running: 0 };
      const counts = current.iterations;
      if (event.type === "MapIterationStarted") {
        counts.total++;
        counts.running++;
      } else if (
        event.type === "MapIterationSucceeded" ||
        event.type === "MapIterationFailed" ||
        event.type === "MapIterationAborted"
      ) {
        counts.running = Math.max(0, counts.running - 1);
        if (event.type === "MapIterationSucceeded") counts.succeeded++;
        else counts.failed++;
      }
    } else if (SUCCESS.test(event.type) && current !== undefined) {
      delete current.failure;
    } else if (FAILURE.test(event.type)) {
      const failure = {
        ...(textOf(details.error) !== undefined ? { error: textOf(details.error) } : {}),
        ...(textOf(details.cause) !== undefined ? { cause: textOf(details.cause) } : {}),
      };
      // A failure that names nothing (MapStateFailed after its iteration's TaskFailed) keeps the named one.
      const named = failure.error !== undefined || failure.cause !== undefined;
      if (event.type.startsWith("Execution"))
        executionFailure = named ? failure : (executionFailure ?? failure);
      else if (current !== undefined) current.failure = named ? failure : (current.failure ?? failure);
    }
  }

  const ended = executionStatus !== "RUNNING";
  const outcomes: Record<string, StateOutcome> = {};
  for (const name of stateNames) {
    const visit = last.get(name);
    if (!visit) {
      outcomes[name] = { status: "notReached" };
      continue;
    }
    const open = visit.exitedAt === undefined;
    const failure = visit.failure ?? (open && ended ? executionFailure : undefined);
    const status: StateStatus = !open
      ? visit.failure
        ? "caught"
        : "succeeded"
      : ended
        ? "failed"
        : "running";
    outcomes[name] = {
      status,
      enteredAt: visit.enteredAt,
      ...(visit.exitedAt !== undefined ? { exitedAt: visit.exitedAt } : {}),
      ...(visit.input !== undefined ? { input: visit.input } : {}),
      ...(visit.output !== undefined ? { output: visit.output } : {}),
      ...(failure?.error !== undefined ? { error: failure.error } : {}),
      ...(failure?.cause !== undefined ? { cause: failure.cause } : {}),
      ...(visit.iterations ? { iterations: visit.iterations } : {}),
    };
  }
  return outcomes;
}
