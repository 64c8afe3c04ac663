import { randomUUID } from "node:crypto";
import type { Queues } from "../queues/types.js";
import { isUniqueViolation } from "../store/errors.js";
import type { Queryable, Store } from "../store/types.js";
import { functionNotFound, invalidParameter, mappingAlreadyExists, mappingNotFound } from "./errors.js";
import type { Functions } from "./registry.js";

/**
 * Event-source mappings: a queue whose messages are handed, in batches, to a function, as
 * Lambda's SQS event-source mapping does. The settings and their limits are Lambda's
 * (aws-protocols.md §2.2); mappings are rows, so every process sees them and a change (or
 * disabling one) reaches every process that runs it.
 */

export const MAPPINGS_CHANNEL = "functions:mappings";
export const REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures";

export interface EventSourceMapping {
  uuid: string;
  queueName: string;
  eventSourceArn: string;
  functionName: string;
  functionArn: string;
  /** Messages per invocation: 1..10,000 (10 on FIFO queues), default 10. */
  batchSize: number;
  /** How long to gather a batch, 0..300 s, default 0 (not on FIFO queues). */
  maximumBatchingWindowInSeconds: number;
  /** Concurrent invocations at most, 2..1000; without it Lambda's own ceiling of 1000. */
  maximumConcurrency?: number;
  functionResponseTypes: string[];
  state: "Enabled" | "Disabled";
  /** Whether a resource file declares it. */
  declared: boolean;
  lastModified: number;
}

export interface MappingSettings {
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  maximumConcurrency?: number | null;
  functionResponseTypes?: string[];
  enabled?: boolean;
}

export interface MappingInput extends MappingSettings {
  /** The queue's name or ARN. */
  queue: string;
  functionName: string;
}

interface MappingRow {
  uuid: string;
  queue_name: string;
  function_name: string;
  batch_size: number;
  batching_window_seconds: number;
  maximum_concurrency: number | null;
  report_batch_item_failures: number;
  enabled: number;
  declared: number;
  updated_at: number;
}

const COLUMNS =
  "uuid, queue_name, function_name, batch_size, batching_window_seconds, maximum_concurrency, report_batch_item_failures, enabled, declared, updated_at";

export const DEFAULT_BATCH_SIZE = 10;
const MAX_BATCH_SIZE = 10_000;
const MAX_FIFO_BATCH_SIZE = 10;
const MAX_BATCHING_WINDOW_SECONDS = 300;
const MIN_CONCURRENCY = 2;
export const MAX_CONCURRENCY = 1000;

const isWhole = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

export function createMappings(
  store: Store,
  queues: Queues,
  functions: Functions,
  options: { now?: () => number } = {},
) {
  const now = options.now ?? Date.now;

  const fromRow = (row: MappingRow): EventSourceMapping => ({
    uuid: row.uuid,
    queueName: row.queue_name,
    eventSourceArn: queues.arnOf(row.queue_name),
    functionName: row.function_name,
    functionArn: functions.arnOf(row.function_name),
    batchSize: row.batch_size,
    maximumBatchingWindowInSeconds: row.batching_window_seconds,
    ...(row.maximum_concurrency === null ? {} : { maximumConcurrency: row.maximum_concurrency }),
    functionResponseTypes: row.report_batch_item_failures ? [REPORT_BATCH_ITEM_FAILURES] : [],
    state: row.enabled ? "Enabled" : "Disabled",
    declared: Boolean(row.declared),
    lastModified: row.updated_at,
  });

  const queueNameOf = (queue: string): string => {
    const name = queue.startsWith("arn:") ? queues.nameFromArn(queue) : queue;
    if (!name)
      throw invalidParameter(`The event source ${queue} is not an SQS queue of this Inflow instance.`);
    return name;
  };

  /**
   * The settings a mapping ends up with, checked as Lambda checks them against the queue and
   * function. Functions live in each process's registry: a new mapping needs its function here,
   * while a change to an existing one (disabling it from an operator's process) checks the
   * function only where it is registered.
   */
  const settle = async (
    queueName: string,
    functionName: string,
    settings: Required<MappingSettings>,
    existing = false,
  ) => {
    const fn = functions.list().find((candidate) => candidate.name === functionName);
    if (!fn && !existing) throw functionNotFound(functions.arnOf(functionName));
    let visibilityTimeout: number;
    let fifo: boolean;
    try {
      fifo = (await queues.getQueue(queueName)).fifo;
      const attributes = await queues.getQueueAttributes(queueName, ["VisibilityTimeout"]);
      visibilityTimeout = Number(attributes.VisibilityTimeout);
    } catch (error) {
      if ((error as Error).name !== "QueueDoesNotExist") throw error;
      throw invalidParameter(
        `The queue ${queueName} does not exist: create it before mapping it to a function.`,
      );
    }
    const { batchSize, maximumBatchingWindowInSeconds: window, maximumConcurrency } = settings;
    const maxBatch = fifo ? MAX_FIFO_BATCH_SIZE : MAX_BATCH_SIZE;
    if (!isWhole(batchSize, 1, maxBatch)) {
      throw invalidParameter(
        `BatchSize ${batchSize} is out of range: use 1 to ${maxBatch} for ${fifo ? "a FIFO" : "a standard"} queue.`,
      );
    }
    if (!isWhole(window, 0, MAX_BATCHING_WINDOW_SECONDS)) {
      throw invalidParameter(
        `MaximumBatchingWindowInSeconds ${window} is out of range: use 0 to ${MAX_BATCHING_WINDOW_SECONDS}.`,
      );
    }
    if (fifo && window > 0) throw invalidParameter("Batching window is not supported for FIFO queues.");
    if (batchSize > 10 && window < 1) {
      throw invalidParameter(
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
      );
    }
    if (maximumConcurrency !== null && !isWhole(maximumConcurrency, MIN_CONCURRENCY, MAX_CONCURRENCY)) {
      throw invalidParameter(
        `ScalingConfig.MaximumConcurrency ${maximumConcurrency} is out of range: use ${MIN_CONCURRENCY} to ${MAX_CONCURRENCY}.`,
      );
    }
    const types = settings.functionResponseTypes;
    if (!Array.isArray(types) || types.some((type) => type !== REPORT_BATCH_ITEM_FAILURES)) {
      throw invalidParameter(`FunctionResponseTypes may only list "${REPORT_BATCH_ITEM_FAILURES}".`);
    }
    if (fn && fn.timeoutSeconds > visibilityTimeout) {
      throw invalidParameter(
        `Queue visibility timeout: ${visibilityTimeout} seconds is less than Function timeout: ${fn.timeoutSeconds} seconds`,
      );
    }
    return settings;
  };

  const defaults = (input: MappingSettings, current?: EventSourceMapping): Required<MappingSettings> => ({
    batchSize: input.batchSize ?? current?.batchSize ?? DEFAULT_BATCH_SIZE,
    maximumBatchingWindowInSeconds:
      input.maximumBatchingWindowInSeconds ?? current?.maximumBatchingWindowInSeconds ?? 0,
    maximumConcurrency:
      input.maximumConcurrency === undefined
        ? (current?.maximumConcurrency ?? null)
        : input.maximumConcurrency,
    functionResponseTypes: input.functionResponseTypes ?? current?.functionResponseTypes ?? [],
    enabled: input.enabled ?? (current ? current.state === "Enabled" : true),
  });

  const byPair = async (db: Queryable, queueName: string, functionName: string) => {
    const [row] = await db.query<MappingRow>(
      `SELECT ${COLUMNS} FROM event_source_mappings WHERE queue_name = $1 AND function_name = $2`,
      [queueName, functionName],
    );
    return row ? fromRow(row) : undefined;
  };

  const get = async (uuid: string): Promise<EventSourceMapping> => {
    const [row] = await store.query<MappingRow>(
      `SELECT ${COLUMNS} FROM event_source_mappings WHERE uuid = $1`,
      [uuid],
    );
    if (!row) throw mappingNotFound(String(uuid));
    return fromRow(row);
  };

  const write = async (
    uuid: string,
    queueName: string,
    functionName: string,
    settings: Required<MappingSettings>,
    declared: boolean,
  ) => {
    const at = now();
    await store.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO event_source_mappings (${COLUMNS}, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (uuid) DO UPDATE SET batch_size = $4, batching_window_seconds = $5,
           maximum_concurrency = $6, report_batch_item_failures = $7, enabled = $8, declared = $9, updated_at = $10`,
        [
          uuid,
          queueName,
          functionName,
          settings.batchSize,
          settings.maximumBatchingWindowInSeconds,
          settings.maximumConcurrency,
          settings.functionResponseTypes.length > 0 ? 1 : 0,
          settings.enabled ? 1 : 0,
          declared ? 1 : 0,
          at,
        ],
      );
      tx.signal(MAPPINGS_CHANNEL);
    });
    return get(uuid);
  };

  return {
    get,

    /** CreateEventSourceMapping: one mapping per queue and function, as on Lambda. */
    async create(input: MappingInput): Promise<EventSourceMapping> {
      const queueName = queueNameOf(input.queue);
      const existing = await byPair(store, queueName, input.functionName);
      if (existing) throw mappingAlreadyExists(existing.eventSourceArn, input.functionName, existing.uuid);
      const settings = await settle(queueName, input.functionName, defaults(input));
      return write(randomUUID(), queueName, input.functionName, settings, false);
    },

    /**
     * Creates the mapping of a resource file or brings it to the declared settings (unset ones
     * take their defaults); idempotent, so every process may apply the same file. Mappings Inflow
     * installs itself (the digitize pipeline's) say `fromResourceFile: false`, so that applying a
     * resource file, which disables the file's mappings it no longer names, leaves them alone.
     */
    async declare(
      input: MappingInput,
      origin: { fromResourceFile: boolean } = { fromResourceFile: true },
    ): Promise<EventSourceMapping> {
      const queueName = queueNameOf(input.queue);
      const settings = await settle(queueName, input.functionName, defaults(input));
      const once = async () => {
        const existing = await byPair(store, queueName, input.functionName);
        const uuid = existing?.uuid ?? randomUUID();
        return write(uuid, queueName, input.functionName, settings, origin.fromResourceFile);
      };
      // Another process applying the same file may insert the pair first: then update its row.
      return once().catch((error) => {
        if (!isUniqueViolation(error)) throw error;
        return once();
      });
    },

    /** UpdateEventSourceMapping: changes the given settings; `enabled` turns it on or off at run time. */
    async update(uuid: string, changes: MappingSettings): Promise<EventSourceMapping> {
      const current = await get(uuid);
      const settings = await settle(
        current.queueName,
        current.functionName,
        defaults(changes, current),
        true,
      );
      return write(uuid, current.queueName, current.functionName, settings, current.declared);
    },

    async remove(uuid: string): Promise<void> {
      await store.transaction(async (tx) => {
        const { changes } = await tx.run("DELETE FROM event_source_mappings WHERE uuid = $1", [uuid]);
        if (changes === 0) throw mappingNotFound(String(uuid));
        // Slots left by processes that died with the mapping running.
        await tx.run("DELETE FROM mapping_slots WHERE mapping_uuid = $1", [uuid]);
        tx.signal(MAPPINGS_CHANNEL);
      });
    },

    async list(): Promise<EventSourceMapping[]> {
      const rows = await store.query<MappingRow>(
        `SELECT ${COLUMNS} FROM event_source_mappings ORDER BY queue_name, function_name`,
      );
      return rows.map(fromRow);
    },

    /** Disables the declared mappings not in `keep` (a resource file no longer names them). */
    async disableUndeclared(keep: readonly string[]): Promise<string[]> {
      const declared = await store.query<{ uuid: string }>(
        "SELECT uuid FROM event_source_mappings WHERE declared = 1 AND enabled = 1",
      );
      const gone = declared.map((row) => row.uuid).filter((uuid) => !keep.includes(uuid));
      for (const uuid of gone) {
        await store.transaction(async (tx) => {
          await tx.run("UPDATE event_source_mappings SET enabled = 0, updated_at = $2 WHERE uuid = $1", [
            uuid,
            now(),
          ]);
          tx.signal(MAPPINGS_CHANNEL);
        });
      }
      return gone;
    },
  };
}

export type Mappings = ReturnType<typeof createMappings>;
