import type { Store } from "../store/types.js";
import type { Catalog } from "./catalog.js";
import type { LongPolls } from "./long-polls.js";

/** What every queue operation works with; built once by `createQueues`. */
export interface QueueContext {
  store: Store;
  catalog: Catalog;
  now: () => number;
  accountId: string;
  arnOf(name: string): string;
  nameFromArn(arn: string): string | undefined;
  /** This process's long polls, woken one at a time (long-polls.ts). */
  longPolls: LongPolls;
}

/** The signal channel that wakes long polls on one queue. */
export function queueChannel(queueId: number): string {
  return `queue:${queueId}`;
}
