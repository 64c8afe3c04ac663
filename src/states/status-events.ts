import { randomUUID } from "node:crypto";
import type { TransactionalQueues } from "../queues/types.js";
import type { ExecutionStatus } from "./types.js";

/** What a status change event tells of its execution. */
export interface StatusEventSource {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: unknown;
  startedAt: number;
  redriveCount: number;
  /** The queue its state machine sends status events to; null sends none. */
  statusQueue: string | null;
  /** Iterations of a Distributed Map report to their map run, not as executions of their own. */
  mapRunId: number | null;
}

export interface StatusChange {
  status: ExecutionStatus;
  at: number;
  output?: unknown;
  error?: string | undefined;
  cause?: string | undefined;
}

/**
 * Sends Amazon EventBridge's "Step Functions Execution Status Change" event for `change` to the
 * execution's status queue, in the transaction that makes the change, so a consumer sees every
 * change exactly when it commits. The shape is EventBridge's, so a handler written for an
 * EventBridge rule with an SQS target reads it unchanged. A status queue that no longer exists
 * drops the event, as EventBridge drops events to a deleted target: an execution never fails for
 * want of its observer.
 */
export async function sendStatusEvent(
  queues: TransactionalQueues,
  execution: StatusEventSource,
  change: StatusChange,
): Promise<void> {
  if (execution.statusQueue === null || execution.mapRunId !== null) return;
  const ended = change.status !== "RUNNING";
  // arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME
  const [, , , region, account] = execution.arn.split(":");
  const id = randomUUID();
  const event = {
    version: "0",
    id,
    "detail-type": "Step Functions Execution Status Change",
    source: "aws.states",
    account,
    time: new Date(change.at).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [execution.arn],
    detail: {
      executionArn: execution.arn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: change.status,
      startDate: execution.startedAt,
      stopDate: ended ? change.at : null,
      input: JSON.stringify(execution.input),
      inputDetails: { included: true },
      output: change.status === "SUCCEEDED" ? JSON.stringify(change.output ?? null) : null,
      outputDetails: change.status === "SUCCEEDED" ? { included: true } : null,
      error: change.error ?? null,
      cause: change.cause ?? null,
      redriveCount: execution.redriveCount,
    },
  };
  const fifo = execution.statusQueue.endsWith(".fifo");
  try {
    await queues.sendMessage(execution.statusQueue, {
      body: JSON.stringify(event),
      // One group per execution keeps its changes in order on a FIFO queue.
      ...(fifo ? { messageGroupId: execution.arn, messageDeduplicationId: id } : {}),
    });
  } catch (error) {
    if ((error as Error).name !== "QueueDoesNotExist") throw error;
  }
}
