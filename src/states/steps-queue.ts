import type { Queues, TransactionalQueues } from "../queues/types.js";

/** The internal queue that carries steps; see the glossary in types.ts. */
export const STEPS_QUEUE = "inflow-states-steps";
/** SQS delays stop at 15 minutes: longer timers are re-armed when they come due early. */
const MAX_DELAY_SECONDS = 900;
export type StepMessage =
  /** Advance this run, if it is still at this version. */
  | { kind: "run"; run: number; version: number }
  /** The execution's TimeoutSeconds may have run out. */
  | { kind: "timeout"; execution: number }
  /** A task token's timeout or heartbeat may have run out. */
  | { kind: "task-timeout"; token: string }
  /** Call the function (or start the execution) this waiting run's task names. */
  | { kind: "invoke"; run: number; version: number }
  /** Stop this execution: the distributed Map it is an iteration of has stopped. */
  | { kind: "abort"; execution: number };

/** The steps queue is created on first use by any process (starting executions or running them). */
export function stepsQueueSetup(queues: Queues): () => Promise<void> {
  let ready: Promise<unknown> | undefined;
  return async () => {
    ready ??= queues.createQueue(STEPS_QUEUE, { VisibilityTimeout: "60" }).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
  };
}

export async function sendStep(
  queues: TransactionalQueues,
  message: StepMessage,
  delayMillis = 0,
): Promise<void> {
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delayMillis / 1000)));
  await queues.sendMessage(STEPS_QUEUE, {
    body: JSON.stringify(message),
    ...(delaySeconds > 0 ? { delaySeconds } : {}),
  });
}
