import type { Queues } from "../queues/types.js";
import type { States } from "../states/engine.js";
import type { Store } from "../store/types.js";
import { FunctionsError } from "./errors.js";
import { createMappingRunner } from "./mapping-runner.js";
import { createMappings } from "./mappings.js";
import type { Functions } from "./registry.js";
import { createSchedules } from "./schedules.js";

/**
 * What `inflow serve` and `inflow worker` run of the functions part: the event-source mappings'
 * pollers and the scheduler, over the process's registry.
 */
export function createFunctionRuntime(
  store: Store,
  queues: Queues,
  states: States,
  functions: Functions,
  options: { onError?: (error: unknown) => void } = {},
) {
  const mappings = createMappings(store, queues, functions);
  const runner = createMappingRunner(store, queues, functions, mappings, {
    region: queues.region,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const schedules = createSchedules(store, {
    functions,
    states,
    region: queues.region,
    accountId: queues.accountId,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    functions,
    mappings,
    schedules,
    runner,
    async start(): Promise<void> {
      await runner.start();
      schedules.start();
    },
    /** Stops taking batches and firing schedules, and waits for the calls in flight. */
    async close(): Promise<void> {
      await Promise.all([runner.close(), schedules.close()]);
    },
  };
}

export type FunctionRuntime = ReturnType<typeof createFunctionRuntime>;

/**
 * Whether an error the runtime reports is a function's failure (a batch that failed, a firing
 * that failed): expected events worth a line in the log, unlike Inflow's own errors.
 */
export const isFunctionFailure = (error: unknown): error is FunctionsError =>
  error instanceof FunctionsError &&
  (error.name === "EventSourceMapping.BatchFailed" || error.name === "Schedule.FiringFailed");
