import type { Queues } from "../../../queues/types.js";
import { requiredString, type WireInput } from "../input.js";
import { queueNameFromUrl, queueUrl } from "../queue-url.js";

/** One decoded SQS call: the queues it acts on, its input and where its caller reaches us. */
export interface SqsCall {
  queues: Queues;
  input: WireInput;
  baseUrl: string;
  signal: AbortSignal;
}

/** Answers a call with its output members (absent ones undefined, never null). */
export type SqsOperation = (call: SqsCall) => Promise<object>;

/** The queue named by the call's required `QueueUrl`. */
export function targetQueue(call: SqsCall): string {
  return queueNameFromUrl(requiredString(call.input, "QueueUrl"), call.queues.accountId);
}

export function urlOf(call: SqsCall, name: string): string {
  return queueUrl(call.baseUrl, call.queues.accountId, name);
}

/** SQS leaves out empty maps and lists rather than sending `{}` or `[]`. */
export function unlessEmpty<T extends object>(value: T): T | undefined {
  return Object.keys(value).length === 0 ? undefined : value;
}
