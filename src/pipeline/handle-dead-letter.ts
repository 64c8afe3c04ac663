import type { SqsRecord } from "../functions/sqs-event.js";
import type { Queues } from "../queues/types.js";
import { deadLettered } from "./errors.js";
import { answerTasks, type TaskAnswers } from "./task-answers.js";

/** A pipeline queue's dead-letter queue is named after it. */
export const DEAD_LETTER_SUFFIX = "-dlq";

/**
 * The queue a dead-lettered record came from: SQS names it in DeadLetterQueueSourceArn; without
 * it, the dead-letter queue's name says.
 */
function sourceQueueOf(record: SqsRecord, queues: Queues): string {
  const source = record.attributes.DeadLetterQueueSourceArn;
  const named = source ? queues.nameFromArn(source) : undefined;
  if (named) return named;
  const dlq = queues.nameFromArn(record.eventSourceARN) ?? record.eventSourceARN.split(":").pop() ?? "";
  return dlq.endsWith(DEAD_LETTER_SUFFIX) ? dlq.slice(0, -DEAD_LETTER_SUFFIX.length) : dlq;
}

/**
 * How many times the message was received before it was dead-lettered: the source queue's
 * maxReceiveCount. A receive count carried over would also count the receives from the dead-letter
 * queue, so it serves only when the source queue has no redrive policy any more.
 */
async function receivesOf(record: SqsRecord, source: string, queues: Queues): Promise<number> {
  const attributes = await queues.getQueueAttributes(source, ["RedrivePolicy"]).catch(() => ({}));
  const policy = (attributes as { RedrivePolicy?: string }).RedrivePolicy;
  if (policy) {
    const { maxReceiveCount } = JSON.parse(policy) as { maxReceiveCount?: unknown };
    if (Number.isInteger(Number(maxReceiveCount))) return Number(maxReceiveCount);
  }
  return Math.max(1, Number(record.attributes.ApproximateReceiveCount ?? 1) - 1);
}

/**
 * The dead-letter queues of the task queues: a message no function could process in
 * maxReceiveCount receives fails its task, so the execution fails and the container goes to Error
 * with the reason, instead of waiting a day for the task's timeout.
 */
export const handleDeadLetter = (deps: { answers: TaskAnswers; queues: Queues }) =>
  answerTasks(deps.answers, async (_message, _context, record) => {
    const source = sourceQueueOf(record, deps.queues);
    const receives = await receivesOf(record, source, deps.queues);
    throw deadLettered(
      `dead-lettered: the message to queue ${source} was received ${receives} times without being processed`,
    );
  });
