import { loadRun } from "./runs.js";
import { advance, type ReadyRuns, type StepContext, sendStep } from "./step.js";

/**
 * Transitions one transaction may make across the runs it wakes: a Map of a few hundred short
 * iterations finishes in one commit, while a bigger one goes on in queued steps of this size.
 */
const INLINE_TRANSITIONS = 500;

export function readyRuns(): ReadyRuns {
  return { runs: [], transitionsLeft: INLINE_TRANSITIONS };
}

/** Advances the runs woken in this transaction, first woken first, while the budget lasts; queues the rest. */
export async function runReady(step: StepContext & { ready: ReadyRuns }): Promise<void> {
  const { ready } = step;
  while (ready.runs.length > 0 && ready.transitionsLeft > 0) {
    const next = ready.runs.shift()!;
    const run = await loadRun(step.tx, next.run);
    // Stopped, failed with its execution, or moved on since it was woken.
    if (!run || run.version !== next.version || run.status !== "RUNNING") continue;
    await advance(step, run);
  }
  for (const { run, version } of ready.runs.splice(0)) {
    await sendStep(step.queues, { kind: "run", run, version });
  }
}

/**
 * For requests that wake runs (StartExecution, SendTaskSuccess): advances them inside a savepoint,
 * so that a failure while advancing (a bug, the history limit) never fails the request itself.
 * The woken runs are then queued as steps, and the step worker meets the failure and ends the
 * execution as it would any other.
 */
export async function runReadyInRequest(step: StepContext & { ready: ReadyRuns }): Promise<void> {
  const woken = [...step.ready.runs];
  if (woken.length === 0) return;
  await step.tx.run("SAVEPOINT inflow_inline");
  try {
    await runReady(step);
  } catch {
    await step.tx.run("ROLLBACK TO SAVEPOINT inflow_inline");
    for (const { run, version } of woken) await sendStep(step.queues, { kind: "run", run, version });
  }
  await step.tx.run("RELEASE SAVEPOINT inflow_inline");
}
