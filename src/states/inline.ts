import type { TransactionalQueues } from "../queues/types.js";
import type { Queryable } from "../store/types.js";
import { createEventLog, type EventLog } from "./history.js";
import { loadRun } from "./runs.js";
import { advance, type ExecutionInfo, type ReadyRuns, type StepContext } from "./step.js";
import { sendStep } from "./steps-queue.js";

/**
 * Transitions one transaction may make across the runs it wakes: a Map of a few hundred short
 * iterations finishes in one commit, while a bigger one goes on in queued steps of this size.
 */
const INLINE_TRANSITIONS = 500;

type InlineStep = StepContext & { ready: ReadyRuns };

/** A step in `tx`: the runs it wakes go on in the same transaction, its history is written at the end. */
export function openStep(
  tx: Queryable,
  queues: TransactionalQueues,
  settings: { now: number; region: string; execution: ExecutionInfo; history?: EventLog },
): InlineStep {
  return {
    tx,
    queues,
    ...settings,
    history: settings.history ?? createEventLog(tx, settings.now),
    ready: { runs: [], transitionsLeft: INLINE_TRANSITIONS },
  };
}

/** Advances the runs woken in this transaction, first woken first, while the budget lasts; queues the rest. */
async function runReady(step: InlineStep): Promise<void> {
  const { ready } = step;
  while (ready.runs.length > 0 && ready.transitionsLeft > 0) {
    const next = ready.runs.shift()!;
    const run = next.loaded ?? (await loadRun(step.tx, next.run));
    // Stopped, failed with its execution, or moved on since it was woken.
    if (!run || run.version !== next.version || run.status !== "RUNNING") continue;
    await advance(step, run);
  }
  for (const { run, version } of ready.runs.splice(0)) {
    await sendStep(step.queues, { kind: "run", run, version });
  }
}

/** Ends a step of the step worker: the woken runs go on, then the history is written. */
export async function finishStep(step: InlineStep): Promise<void> {
  await runReady(step);
  await step.history.flush();
}

/**
 * Ends a step taken by a request (StartExecution, SendTaskSuccess): the woken runs go on inside a
 * savepoint, so that a failure while advancing them (a bug, the history limit) never fails the
 * request itself. They are then queued as steps instead, and the step worker meets the failure
 * and ends the execution as it would any other.
 */
export async function finishStepInRequest(step: InlineStep): Promise<void> {
  const woken = [...step.ready.runs];
  if (woken.length > 0) {
    const before = step.history.snapshot();
    await step.tx.run("SAVEPOINT inflow_inline");
    try {
      await runReady(step);
      await step.history.flush();
    } catch {
      await step.tx.run("ROLLBACK TO SAVEPOINT inflow_inline");
      step.history.restore(before);
      for (const { run, version } of woken) await sendStep(step.queues, { kind: "run", run, version });
    }
    await step.tx.run("RELEASE SAVEPOINT inflow_inline");
  }
  await step.history.flush();
}
