import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Queues, ReceivedMessage } from "../queues/types.js";
import type { Store } from "../store/types.js";
import { batchOutcome } from "./batch-response.js";
import { FunctionFailure, FunctionsError } from "./errors.js";
import { createSlots, type Slot } from "./mapping-slots.js";
import {
  type EventSourceMapping,
  MAPPINGS_CHANNEL,
  MAX_CONCURRENCY,
  type Mappings,
  REPORT_BATCH_ITEM_FAILURES,
} from "./mappings.js";
import { type Functions, MAX_REQUEST_BYTES } from "./registry.js";
import { type SqsRecord, sqsRecord } from "./sqs-event.js";

/**
 * Runs the enabled mappings whose function this process has: pollers receive batches, invoke the
 * function and delete what it handled, as Lambda's SQS pollers do.
 *
 * Scaling follows Lambda's: one poller while the queue is idle; every full batch lets another
 * poller start, the first 5 at once and then one per 200 ms (Lambda adds up to 300 concurrent
 * batches a minute), never more than MaximumConcurrency across all processes (each poller holds
 * one of the mapping's slots, `mapping-slots.ts`); a poller whose long poll comes back
 * empty stops, down to the last one.
 */

/** Mappings are read again this often, besides on every change this or (PostgreSQL) another process makes. */
const SYNC_MILLIS = 5000;
const INITIAL_POLLERS = 5;
const GROWTH_INTERVAL_MILLIS = 200;
/** After a failed receive (the queue was deleted, the database is away), a poller waits this long. */
const RETRY_MILLIS = 2000;
/** Lambda long-polls for 20 s, the SQS maximum. */
const DEFAULT_WAIT_SECONDS = 20;
/** The event's own bytes around its records: `{"Records":[...]}`. */
const EVENT_OVERHEAD_BYTES = 14;

export interface MappingRunnerOptions {
  region: string;
  /** Seconds a poller long-polls an empty queue before it may stop; default 20. */
  waitTimeSeconds?: number;
  /** Failed batches and failed receives; the work goes on. */
  onError?: (error: unknown) => void;
}

interface Run {
  key: string;
  active(): number;
  stop(): Promise<void>;
}

const sleep = (millis: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, millis);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

const batchFailed = (mapping: EventSourceMapping, count: number, reason: string) =>
  new FunctionsError(
    "EventSourceMapping.BatchFailed",
    `Function '${mapping.functionName}' failed on a batch of ${count} message(s) from queue '${mapping.queueName}' (mapping ${mapping.uuid}): ${reason}. The messages return after the queue's visibility timeout.`,
  );

function reasonOf(error: unknown): string {
  if (error instanceof FunctionFailure) return `${error.report.errorType}: ${error.report.errorMessage}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function runMapping(
  mapping: EventSourceMapping,
  store: Store,
  queues: Queues,
  functions: Functions,
  options: Required<Pick<MappingRunnerOptions, "region" | "waitTimeSeconds">> & MappingRunnerOptions,
): Omit<Run, "key"> {
  const stopping = new AbortController();
  const { signal } = stopping;
  const limit = mapping.maximumConcurrency ?? MAX_CONCURRENCY;
  // Every poller waits on this signal (a long poll, a back-off): a listener per poller is expected.
  setMaxListeners(limit + 1, signal);
  const reportItems = mapping.functionResponseTypes.includes(REPORT_BATCH_ITEM_FAILURES);
  const report = (error: unknown) => options.onError?.(error);
  const loops = new Set<Promise<void>>();
  const fn = functions.list().find((candidate) => candidate.name === mapping.functionName);
  // A batch takes at most a long poll, the function's timeout and its deletes between renewals.
  const leaseMillis = (options.waitTimeSeconds + (fn?.timeoutSeconds ?? 900) + 60) * 1000;
  const slots = createSlots(store, mapping.uuid, limit, leaseMillis);
  let active = 0;
  let lastGrowth = 0;

  const release = async (messages: ReceivedMessage[]) => {
    for (const message of messages) {
      await queues
        .changeMessageVisibility(mapping.queueName, message.receiptHandle, 0)
        .catch(() => undefined);
    }
  };

  const receive = (max: number, waitSeconds: number) =>
    queues.receiveMessage(mapping.queueName, {
      maxNumberOfMessages: Math.min(10, max),
      waitTimeSeconds: waitSeconds,
      signal,
    });

  /**
   * One batch: a long poll, then (with a batching window) more receives until the batch is full,
   * the window closes or the event would pass Lambda's 6 MB; messages beyond that go back at once.
   */
  const collect = async (): Promise<{ messages: ReceivedMessage[]; records: SqsRecord[] }> => {
    const messages: ReceivedMessage[] = [];
    const records: SqsRecord[] = [];
    const overflow: ReceivedMessage[] = [];
    const indexById = new Map<string, number>();
    let bytes = EVENT_OVERHEAD_BYTES;
    const add = (received: ReceivedMessage[]) => {
      for (const message of received) {
        const record = sqsRecord(message, mapping.eventSourceArn, options.region);
        // Received again within a long window (its visibility timeout ran out): only the newest
        // receipt handle deletes it.
        const again = indexById.get(message.messageId);
        if (again !== undefined) {
          messages[again] = message;
          records[again] = record;
          continue;
        }
        const size = Buffer.byteLength(JSON.stringify(record), "utf8") + 1;
        if (bytes + size > MAX_REQUEST_BYTES) overflow.push(message);
        else {
          bytes += size;
          indexById.set(message.messageId, messages.length);
          messages.push(message);
          records.push(record);
        }
      }
    };
    add(await receive(mapping.batchSize, options.waitTimeSeconds));
    const deadline = Date.now() + mapping.maximumBatchingWindowInSeconds * 1000;
    while (
      messages.length > 0 &&
      messages.length < mapping.batchSize &&
      overflow.length === 0 &&
      !signal.aborted
    ) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      add(await receive(mapping.batchSize - messages.length, Math.min(20, Math.ceil(left / 1000))));
    }
    if (signal.aborted) {
      await release([...messages, ...overflow]);
      return { messages: [], records: [] };
    }
    await release(overflow);
    return { messages, records };
  };

  const handle = async (messages: ReceivedMessage[], records: SqsRecord[]) => {
    let response: unknown;
    try {
      response = await functions.invoke(mapping.functionName, { Records: records });
    } catch (error) {
      report(batchFailed(mapping, messages.length, reasonOf(error)));
      return;
    }
    let done = messages;
    if (reportItems) {
      const outcome = batchOutcome(response, new Set(messages.map((message) => message.messageId)));
      if (outcome.failed === "all") {
        report(
          batchFailed(
            mapping,
            messages.length,
            `its batchItemFailures answer is not valid (${JSON.stringify(response)?.slice(0, 200)}), so the whole batch failed`,
          ),
        );
        return;
      }
      const failed = outcome.failed;
      done = messages.filter((message) => !failed.has(message.messageId));
    }
    for (let start = 0; start < done.length; start += 10) {
      // A receipt that expired (the handler outlived the visibility timeout) fails to delete: that
      // message comes back, as it would on Lambda.
      await queues.deleteMessageBatch(
        mapping.queueName,
        done.slice(start, start + 10).map((message, index) => ({
          id: String(index),
          receiptHandle: message.receiptHandle,
        })),
      );
    }
  };

  const mayGrow = () => {
    if (active >= limit) return false;
    if (active < INITIAL_POLLERS) return true;
    const now = Date.now();
    if (now - lastGrowth < GROWTH_INTERVAL_MILLIS) return false;
    lastGrowth = now;
    return true;
  };

  /** Stops this poller when another of the mapping's pollers runs here (counted at once, so two can't both leave). */
  const leaveIfExtra = () => {
    if (active <= 1) return false;
    active -= 1;
    return true;
  };
  const leave = () => {
    active -= 1;
  };

  /** One of the mapping's slots; undefined when this poller stops instead (counted out already). */
  const takeSlot = async (): Promise<Slot | undefined> => {
    for (;;) {
      if (signal.aborted) return void leave();
      try {
        const slot = await slots.acquire(randomUUID());
        if (slot) return slot;
      } catch (error) {
        report(error);
      }
      // Every slot is held (by other processes): an extra poller stops, the last one waits its turn.
      if (leaveIfExtra()) return undefined;
      await sleep(RETRY_MILLIS, signal);
    }
  };

  const poll = async () => {
    for (;;) {
      const slot = await takeSlot();
      if (!slot) return;
      try {
        for (;;) {
          if (signal.aborted) return leave();
          const held = await slot.renew().catch((error: unknown) => {
            report(error);
            return true;
          });
          // The lease ran out (the database was away longer than it): take a slot again.
          if (!held) break;
          let batch: Awaited<ReturnType<typeof collect>>;
          try {
            batch = await collect();
          } catch (error) {
            report(error);
            await sleep(RETRY_MILLIS, signal);
            continue;
          }
          if (batch.messages.length === 0) {
            if (leaveIfExtra()) return;
            continue;
          }
          if (batch.messages.length >= mapping.batchSize && mayGrow()) spawn();
          try {
            await handle(batch.messages, batch.records);
          } catch (error) {
            report(error);
          }
        }
      } finally {
        await slot.release().catch(() => undefined);
      }
    }
  };

  function spawn() {
    active += 1;
    const loop = poll().finally(() => loops.delete(loop));
    loops.add(loop);
  }

  spawn();
  return {
    active: () => active,
    async stop() {
      stopping.abort();
      await Promise.all([...loops]);
    },
  };
}

/** The pollers of every enabled mapping this process can run, kept in step with the mappings' rows. */
export function createMappingRunner(
  store: Store,
  queues: Queues,
  functions: Functions,
  mappings: Mappings,
  options: MappingRunnerOptions,
) {
  const settings = { waitTimeSeconds: DEFAULT_WAIT_SECONDS, ...options };
  const runs = new Map<string, Run>();
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;
  let syncing: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const syncOnce = async () => {
    const local = new Set(functions.list().map((fn) => fn.name));
    const wanted = new Map<string, EventSourceMapping>();
    for (const mapping of await mappings.list()) {
      if (mapping.state === "Enabled" && local.has(mapping.functionName)) wanted.set(mapping.uuid, mapping);
    }
    for (const [uuid, run] of runs) {
      const mapping = wanted.get(uuid);
      if (!mapping || JSON.stringify(mapping) !== run.key) {
        runs.delete(uuid);
        await run.stop();
      }
    }
    if (closed) return;
    for (const [uuid, mapping] of wanted) {
      if (!runs.has(uuid)) {
        runs.set(uuid, {
          key: JSON.stringify(mapping),
          ...runMapping(mapping, store, queues, functions, settings),
        });
      }
    }
  };

  /** One sync at a time; a request during one runs another after it. */
  const sync = (): Promise<void> => {
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        again = false;
        await syncOnce().catch((error) => settings.onError?.(error));
      } while (again && !closed);
      syncing = undefined;
    })();
    return syncing;
  };

  return {
    /** Starts the pollers of the enabled mappings, and follows changes to them from then on. */
    async start(): Promise<void> {
      stopListening = store.listen(MAPPINGS_CHANNEL, () => void sync());
      timer = setInterval(() => void sync(), SYNC_MILLIS);
      timer.unref();
      await sync();
    },
    /** Applies mapping changes now instead of at the next signal or sync. */
    sync,
    /** Concurrent batches (pollers) of a mapping in this process; 0 when it doesn't run here. */
    activePollers: (uuid: string): number => runs.get(uuid)?.active() ?? 0,
    /** Stops taking batches and waits for the invocations in flight. */
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      stopListening?.();
      await syncing;
      await Promise.all([...runs.values()].map((run) => run.stop()));
      runs.clear();
    },
  };
}

export type MappingRunner = ReturnType<typeof createMappingRunner>;
