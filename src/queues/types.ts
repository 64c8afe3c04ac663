/**
 * Queues: the SQS model over the store.
 *
 * Glossary
 * - Queue: a named, durable list of messages; standard (at-least-once, best-effort order) or FIFO
 *   (name ends in `.fifo`; exactly-once within the deduplication window, ordered per group).
 * - Message lifecycle: `delayed` (sent with a delay, not yet receivable) -> `visible` (receivable)
 *   -> `inflight` (received, hidden for its visibility timeout) -> `visible` again when the
 *   timeout runs out, or gone when deleted, expired (retention) or purged. A receive that would
 *   take a message past its queue's maxReceiveCount moves it to the dead-letter queue instead.
 *   The states are derived from `visible_at` and `receive_count`, never stored apart.
 * - Receipt handle: the opaque proof of one receive, needed to delete or change visibility;
 *   every receive mints a new one.
 * - Dead-letter queue (DLQ): where a source queue's RedrivePolicy sends messages received too
 *   often. A message move task carries them back (or elsewhere).
 * - Group: FIFO messages with one MessageGroupId, delivered in order, one batch in flight at a time.
 */

import type { Queryable } from "../store/types.js";

export const MESSAGE_STATES = Object.freeze(["delayed", "visible", "inflight"] as const);
export type MessageState = (typeof MESSAGE_STATES)[number];

export const MOVE_TASK_STATUSES = Object.freeze([
  "RUNNING",
  "COMPLETED",
  "CANCELLING",
  "CANCELLED",
  "FAILED",
] as const);
export type MoveTaskStatus = (typeof MOVE_TASK_STATUSES)[number];

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Binary values travel as base64 on the wire and are kept that way. */
  BinaryValue?: string;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

export interface SendInput {
  body: string;
  delaySeconds?: number;
  messageAttributes?: MessageAttributes;
  /** Only `AWSTraceHeader` is allowed, as in SQS. */
  messageSystemAttributes?: MessageAttributes;
  messageDeduplicationId?: string;
  messageGroupId?: string;
}

export interface SendResult {
  messageId: string;
  md5OfMessageBody: string;
  md5OfMessageAttributes?: string;
  md5OfMessageSystemAttributes?: string;
  sequenceNumber?: string;
}

export interface ReceiveInput {
  /** 1..10, default 1. */
  maxNumberOfMessages?: number;
  /** Seconds the messages stay hidden; default the queue's VisibilityTimeout. */
  visibilityTimeout?: number;
  /** Long polling: 0..20 seconds; default the queue's ReceiveMessageWaitTimeSeconds. */
  waitTimeSeconds?: number;
  /** Ends a long poll early (the server aborts it when the client goes away or it shuts down). */
  signal?: AbortSignal;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  /** Every system attribute SQS reports (SentTimestamp, ApproximateReceiveCount, ...), as strings. */
  attributes: Record<string, string>;
  /** All message attributes as sent; the wire layer filters them by the requested names. */
  messageAttributes: MessageAttributes;
}

export interface BatchEntryFailure {
  id: string;
  code: string;
  message: string;
  senderFault: boolean;
}

/** Batch operations report per entry instead of failing halfway. */
export interface BatchResult<T> {
  successful: Array<T & { id: string }>;
  failed: BatchEntryFailure[];
}

export interface QueueRef {
  id: number;
  name: string;
  arn: string;
  fifo: boolean;
}

export interface MoveTask {
  taskHandle?: string;
  status: MoveTaskStatus;
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  approximateNumberOfMessagesMoved: number;
  approximateNumberOfMessagesToMove: number;
  failureReason?: string;
  startedTimestamp: number;
}

export interface QueuesOptions {
  region?: string;
  accountId?: string;
  /** The clock, in epoch milliseconds; tests move it. */
  now?: () => number;
}

/** The message operations that can take part in a caller's transaction. */
export interface TransactionalQueues {
  sendMessage(name: string, input: SendInput): Promise<SendResult>;
  sendMessageBatch(
    name: string,
    entries: Array<SendInput & { id: string }>,
  ): Promise<BatchResult<SendResult>>;
  deleteMessage(name: string, receiptHandle: string): Promise<void>;
  changeMessageVisibility(name: string, receiptHandle: string, visibilityTimeout: number): Promise<void>;
}

export interface Queues {
  readonly region: string;
  readonly accountId: string;
  arnOf(name: string): string;
  /** The queue name an ARN of this account and region names, or undefined. */
  nameFromArn(arn: string): string | undefined;

  createQueue(
    name: string,
    attributes?: Record<string, string>,
    tags?: Record<string, string>,
  ): Promise<QueueRef>;
  getQueue(name: string): Promise<QueueRef>;
  deleteQueue(name: string): Promise<void>;
  listQueues(options?: { prefix?: string; maxResults?: number; nextToken?: string }): Promise<{
    names: string[];
    nextToken?: string;
  }>;
  getQueueAttributes(name: string, attributeNames: string[]): Promise<Record<string, string>>;
  setQueueAttributes(name: string, attributes: Record<string, string>): Promise<void>;
  listDeadLetterSourceQueues(
    name: string,
    options?: { maxResults?: number; nextToken?: string },
  ): Promise<{ names: string[]; nextToken?: string }>;
  tagQueue(name: string, tags: Record<string, string>): Promise<void>;
  untagQueue(name: string, tagKeys: string[]): Promise<void>;
  listQueueTags(name: string): Promise<Record<string, string>>;
  purgeQueue(name: string): Promise<void>;

  sendMessage(name: string, input: SendInput): Promise<SendResult>;
  sendMessageBatch(
    name: string,
    entries: Array<SendInput & { id: string }>,
  ): Promise<BatchResult<SendResult>>;
  receiveMessage(name: string, input?: ReceiveInput): Promise<ReceivedMessage[]>;
  deleteMessage(name: string, receiptHandle: string): Promise<void>;
  deleteMessageBatch(
    name: string,
    entries: Array<{ id: string; receiptHandle: string }>,
  ): Promise<BatchResult<object>>;
  changeMessageVisibility(name: string, receiptHandle: string, visibilityTimeout: number): Promise<void>;
  changeMessageVisibilityBatch(
    name: string,
    entries: Array<{ id: string; receiptHandle: string; visibilityTimeout: number }>,
  ): Promise<BatchResult<object>>;

  startMessageMoveTask(input: {
    sourceArn: string;
    destinationArn?: string;
    maxNumberOfMessagesPerSecond?: number;
  }): Promise<{ taskHandle: string }>;
  listMessageMoveTasks(sourceArn: string, maxResults?: number): Promise<MoveTask[]>;
  cancelMessageMoveTask(taskHandle: string): Promise<{ approximateNumberOfMessagesMoved: number }>;

  /**
   * The message operations bound to a transaction of the same store (`store.transaction(tx => ...)`):
   * what they write commits or rolls back with the caller's other writes.
   */
  within(tx: Queryable): TransactionalQueues;

  /** Runs the background work of this process: message move tasks and retention sweeps. */
  startBackground(): void;
  /** Stops background work and ends pending long polls (they return what they have: nothing). */
  close(): Promise<void>;
}
