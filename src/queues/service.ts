import { setMaxListeners } from "node:events";
import type { Store } from "../store/types.js";
import {
  changeMessageVisibility,
  changeMessageVisibilityBatch,
  deleteMessage,
  deleteMessageBatch,
} from "./acknowledge.js";
import { createCatalog } from "./catalog.js";
import type { QueueContext } from "./context.js";
import { createLongPolls } from "./long-polls.js";
import {
  createQueue,
  deleteQueue,
  getQueueAttributes,
  listDeadLetterSourceQueues,
  listQueues,
  listQueueTags,
  purgeQueue,
  setQueueAttributes,
  tagQueue,
  untagQueue,
} from "./management.js";
import {
  cancelMessageMoveTask,
  createMoveTaskRunner,
  listMessageMoveTasks,
  startMessageMoveTask,
} from "./move-tasks.js";
import { receiveMessage } from "./receive.js";
import { sweepExpired } from "./retention.js";
import { sendMessage, sendMessageBatch } from "./send.js";
import type { Queues, QueuesOptions } from "./types.js";
import { scopeToTransaction } from "./within.js";

export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_ACCOUNT_ID = "000000000000";
const BACKGROUND_TICK_MILLIS = 1000;
const SWEEP_EVERY_MILLIS = 30_000;

/** The queues of one store, with SQS semantics. One per process; safe with many processes per store. */
export function createQueues(store: Store, options: QueuesOptions = {}): Queues {
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const now = options.now ?? Date.now;
  const arnPrefix = `arn:aws:sqs:${region}:${accountId}:`;
  const arnOf = (name: string) => `${arnPrefix}${name}`;
  const nameFromArn = (arn: string) =>
    typeof arn === "string" && arn.startsWith(arnPrefix) && arn.length > arnPrefix.length
      ? arn.slice(arnPrefix.length)
      : undefined;
  const ctx: QueueContext = {
    store,
    catalog: createCatalog(store, now, arnOf),
    now,
    accountId,
    arnOf,
    nameFromArn,
    longPolls: createLongPolls(store),
  };

  const closing = new AbortController();
  // Every long poll in progress listens for the close, however many pollers and workers there are.
  setMaxListeners(0, closing.signal);
  const moveTasks = createMoveTaskRunner(ctx);
  let background: NodeJS.Timeout | undefined;
  let lastSweep = 0;

  return {
    region,
    accountId,
    arnOf,
    nameFromArn,
    createQueue: (name, attributes, tags) => createQueue(ctx, name, attributes, tags),
    getQueue: async (name) => {
      const { id, arn, fifo } = await ctx.catalog.get(name);
      return { id, name, arn, fifo };
    },
    deleteQueue: (name) => deleteQueue(ctx, name),
    listQueues: (listOptions) => listQueues(ctx, listOptions),
    getQueueAttributes: (name, names) => getQueueAttributes(ctx, name, names),
    setQueueAttributes: (name, attributes) => setQueueAttributes(ctx, name, attributes),
    listDeadLetterSourceQueues: (name, listOptions) => listDeadLetterSourceQueues(ctx, name, listOptions),
    tagQueue: (name, tags) => tagQueue(ctx, name, tags),
    untagQueue: (name, keys) => untagQueue(ctx, name, keys),
    listQueueTags: (name) => listQueueTags(ctx, name),
    purgeQueue: (name) => purgeQueue(ctx, name),
    sendMessage: (name, input) => sendMessage(ctx, name, input),
    sendMessageBatch: (name, entries) => sendMessageBatch(ctx, name, entries),
    receiveMessage: (name, input = {}) => receiveMessage(ctx, name, input, closing.signal),
    deleteMessage: (name, handle) => deleteMessage(ctx, name, handle),
    deleteMessageBatch: (name, entries) => deleteMessageBatch(ctx, name, entries),
    changeMessageVisibility: (name, handle, seconds) => changeMessageVisibility(ctx, name, handle, seconds),
    changeMessageVisibilityBatch: (name, entries) => changeMessageVisibilityBatch(ctx, name, entries),
    startMessageMoveTask: async (input) => {
      const started = await startMessageMoveTask(ctx, input);
      moveTasks.kick();
      return started;
    },
    listMessageMoveTasks: (sourceArn, maxResults) => listMessageMoveTasks(ctx, sourceArn, maxResults),
    cancelMessageMoveTask: (handle) => cancelMessageMoveTask(ctx, handle),
    within(tx) {
      const scoped = scopeToTransaction(ctx, tx);
      return {
        sendMessage: (name, input) => sendMessage(scoped, name, input),
        sendMessageBatch: (name, entries) => sendMessageBatch(scoped, name, entries),
        deleteMessage: (name, handle) => deleteMessage(scoped, name, handle),
        changeMessageVisibility: (name, handle, seconds) =>
          changeMessageVisibility(scoped, name, handle, seconds),
      };
    },
    startBackground() {
      if (background) return;
      background = setInterval(() => {
        moveTasks.kick();
        if (now() - lastSweep >= SWEEP_EVERY_MILLIS) {
          lastSweep = now();
          sweepExpired(ctx).catch(() => undefined);
        }
      }, BACKGROUND_TICK_MILLIS);
      background.unref();
    },
    async close() {
      closing.abort();
      clearInterval(background);
      await moveTasks.stop();
    },
  };
}
