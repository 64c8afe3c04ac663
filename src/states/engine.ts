import type { Queues } from "../queues/types.js";
import type { Store } from "../store/types.js";
import { createExecutions } from "./executions.js";
import { createMachines } from "./machines.js";
import { createMapRuns } from "./map-runs.js";
import { createTaskTokens } from "./task-tokens.js";
import { createStepWorker, type FunctionInvoker } from "./worker.js";

export interface StatesOptions {
  region?: string;
  accountId?: string;
  now?: () => number;
  /** Concurrent step loops in this process; default 2. */
  concurrency?: number;
  onError?: (error: unknown) => void;
  /** Runs the functions that Lambda-style Task resources name. */
  invoke?: FunctionInvoker;
}

/** The workflow engine over a store and its queues: state machines, executions, and the step workers. */
export function createStates(store: Store, queues: Queues, options: StatesOptions = {}) {
  const settings = {
    region: options.region ?? queues.region,
    accountId: options.accountId ?? queues.accountId,
    now: options.now ?? Date.now,
  };
  const machines = createMachines(store, settings);
  const executions = createExecutions(store, queues, machines, settings);
  const worker = createStepWorker(store, queues, {
    ...settings,
    machines,
    ...(options.invoke ? { invoke: options.invoke } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    machines,
    executions,
    tasks: createTaskTokens(store, queues, settings),
    mapRuns: createMapRuns(store),
    /** Starts this process's step workers (serve and worker do; a client-only process doesn't). */
    startWorkers: () => worker.start(),
    close: () => worker.stop(),
  };
}

export type States = ReturnType<typeof createStates>;
