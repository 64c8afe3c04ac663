import type { ExecutionStatus, RunStatus } from "./types.js";

/** Which execution status may follow which; everything else is a bug, refused loudly. */
const EXECUTION_TRANSITIONS: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = Object.freeze({
  RUNNING: ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
  SUCCEEDED: [],
  FAILED: ["RUNNING"],
  TIMED_OUT: ["RUNNING"],
  ABORTED: ["RUNNING"],
  PENDING_REDRIVE: ["RUNNING"],
});

const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = Object.freeze({
  PENDING: ["RUNNING", "ABORTED"],
  RUNNING: ["RUNNING", "WAITING", "SUCCEEDED", "FAILED", "ABORTED"],
  WAITING: ["RUNNING", "ABORTED", "FAILED"],
  SUCCEEDED: [],
  // Redrive puts failed and aborted runs back: started at once, waiting for a free Map slot, or
  // (a Map or Parallel) waiting for its failed children to run again.
  FAILED: ["RUNNING", "PENDING", "WAITING"],
  ABORTED: ["RUNNING", "PENDING", "WAITING"],
});

export function checkExecutionTransition(from: ExecutionStatus, to: ExecutionStatus): void {
  if (!EXECUTION_TRANSITIONS[from].includes(to)) {
    throw new Error(`Execution status cannot change from ${from} to ${to}`);
  }
}

export function checkRunTransition(from: RunStatus, to: RunStatus): void {
  if (!RUN_TRANSITIONS[from].includes(to)) throw new Error(`Run status cannot change from ${from} to ${to}`);
}
