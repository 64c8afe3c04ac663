import type { TransactionalQueues } from "../queues/types.js";
import type { Queryable } from "../store/types.js";
import { containerAt } from "./containers.js";
import { reopenMapRun } from "./map-runs.js";
import { childrenOf, type Run, saveRun } from "./runs.js";
import { sendStep } from "./steps-queue.js";
import type { MachineDefinition } from "./types.js";

const UNFINISHED_OR_FAILED = new Set(["FAILED", "ABORTED"]);

/**
 * Puts a failed run back to work for RedriveExecution: a Map or Parallel it stopped in runs again
 * only its failed or aborted children (recursively), and any other state is entered afresh.
 * Successful work is kept, never repeated.
 */
export async function redriveRun(
  tx: Queryable,
  queues: TransactionalQueues,
  definition: MachineDefinition,
  run: Run,
  now: number,
  asChild: { start: boolean } = { start: true },
): Promise<void> {
  const state = containerAt(definition, run.container).States[run.stateName];
  const settings = run.stateData.children;
  if (state && (state.Type === "Map" || state.Type === "Parallel") && settings) {
    if (settings.mapRun) await reopenMapRun(tx, settings.mapRun.id, now);
    const children = await childrenOf(tx, run.id);
    const again = children.filter((child) => UNFINISHED_OR_FAILED.has(child.status));
    const waiting: Run = {
      ...run,
      status: "WAITING",
      phase: "resume",
      error: null,
      cause: null,
      stateData: { ...run.stateData, resume: undefined },
    };
    if (again.length === 0) {
      const version = await saveRun(tx, run, { ...waiting, status: "RUNNING" }, now);
      await sendStep(queues, { kind: "run", run: run.id, version });
      return;
    }
    await saveRun(tx, run, waiting, now);
    for (const [index, child] of again.entries()) {
      await redriveRun(tx, queues, definition, child, now, { start: index < settings.maxConcurrency });
    }
    return;
  }
  const fresh: Run = {
    ...run,
    status: asChild.start ? "RUNNING" : "PENDING",
    phase: "enter",
    wakeAt: null,
    error: null,
    cause: null,
    // A distributed iteration starts a new execution; an inline one keeps its item.
    stateData: run.stateData.mapRun
      ? { mapRun: run.stateData.mapRun }
      : run.stateData.mapItem
        ? { mapItem: run.stateData.mapItem }
        : {},
  };
  const version = await saveRun(tx, run, fresh, now);
  if (asChild.start) await sendStep(queues, { kind: "run", run: run.id, version });
}
