import type { Queues } from "../queues/types.js";
import { DEAD_LETTER_SUFFIX } from "./handle-dead-letter.js";
import { STATUS_QUEUE, TASK_QUEUES } from "./install.js";
import type { PipelineSettings } from "./settings.js";

/**
 * Brings the pipeline's existing queues to declared settings (a resource file's `pipeline:`),
 * before the pipeline is installed: installing creates missing queues with the settings, but
 * leaves existing ones as they are, and checks each function's timeout against its queue's
 * visibility timeout, which must then already be the declared one.
 */
export async function tunePipelineQueues(
  queues: Queues,
  declared: Pick<Partial<PipelineSettings>, "visibilityTimeoutSeconds" | "maxReceiveCount">,
): Promise<void> {
  const { visibilityTimeoutSeconds, maxReceiveCount } = declared;
  if (visibilityTimeoutSeconds === undefined && maxReceiveCount === undefined) return;
  const queuesOf = (name: string) =>
    name === STATUS_QUEUE ? [name] : [name, `${name}${DEAD_LETTER_SUFFIX}`];
  for (const name of [...Object.keys(TASK_QUEUES), STATUS_QUEUE]) {
    for (const queue of queuesOf(name)) {
      const attributes: Record<string, string> = {};
      if (visibilityTimeoutSeconds !== undefined)
        attributes.VisibilityTimeout = String(visibilityTimeoutSeconds);
      // Status events are never dead-lettered (install.ts says why).
      if (maxReceiveCount !== undefined && queue === name && name !== STATUS_QUEUE) {
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: queues.arnOf(`${name}${DEAD_LETTER_SUFFIX}`),
          maxReceiveCount,
        });
      }
      if (Object.keys(attributes).length === 0) continue;
      await queues.setQueueAttributes(queue, attributes).catch((error: Error) => {
        // Not there yet: installing creates it with the declared settings.
        if (error.name !== "QueueDoesNotExist") throw error;
      });
    }
  }
}
