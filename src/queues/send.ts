import { createHash, randomUUID } from "node:crypto";
import type { Queryable } from "../store/types.js";
import type { Queue } from "./catalog.js";
import { type QueueContext, queueChannel } from "./context.js";
import { QueueError } from "./errors.js";
import { md5Hex, md5OfMessageAttributes } from "./md5.js";
import { checkBatch, checkBatchSize, checkMessage } from "./message-checks.js";
import type { BatchResult, SendInput, SendResult } from "./types.js";

const DEDUP_WINDOW_MILLIS = 5 * 60 * 1000;

/** FIFO sequence numbers: the message's row id, zero-padded so they compare as text too. */
export function sequenceNumberOf(rowId: number): string {
  return String(rowId).padStart(20, "0");
}

interface Prepared {
  input: SendInput;
  messageId: string;
  md5OfBody: string;
  md5OfAttributes: string | undefined;
  md5OfSystemAttributes: string | undefined;
  /** FIFO: the deduplication id given, or the SHA-256 of the body (content-based). */
  dedupId: string | undefined;
  /** FIFO: the key the deduplication window is kept by (per group with DeduplicationScope=messageGroup). */
  dedupKey: string | undefined;
}

function prepare(queue: Queue, input: SendInput): Prepared {
  checkMessage(input, {
    fifo: queue.fifo,
    maximumMessageSize: queue.config.maximumMessageSize,
    contentBasedDeduplication: queue.config.contentBasedDeduplication,
  });
  let dedupId: string | undefined;
  let dedupKey: string | undefined;
  if (queue.fifo) {
    dedupId = input.messageDeduplicationId ?? createHash("sha256").update(input.body, "utf8").digest("hex");
    dedupKey =
      queue.attributes.DeduplicationScope === "messageGroup"
        ? `${input.messageGroupId}\u0000${dedupId}`
        : dedupId;
  }
  return {
    input,
    messageId: randomUUID(),
    md5OfBody: md5Hex(input.body),
    md5OfAttributes: md5OfMessageAttributes(input.messageAttributes),
    md5OfSystemAttributes: md5OfMessageAttributes(input.messageSystemAttributes),
    dedupId,
    dedupKey,
  };
}

function resultOf(prepared: Prepared, messageId: string, sequenceNumber?: string): SendResult {
  return {
    messageId,
    md5OfMessageBody: prepared.md5OfBody,
    ...(prepared.md5OfAttributes ? { md5OfMessageAttributes: prepared.md5OfAttributes } : {}),
    ...(prepared.md5OfSystemAttributes
      ? { md5OfMessageSystemAttributes: prepared.md5OfSystemAttributes }
      : {}),
    ...(sequenceNumber ? { sequenceNumber } : {}),
  };
}

const INSERT_COLUMNS =
  "queue_id, message_id, body, message_attributes, system_attributes, md5_body, md5_attributes, sender_id, sent_at, visible_at, group_id, dedup_id";
const COLUMN_COUNT = 12;

function rowValues(ctx: QueueContext, queue: Queue, prepared: Prepared, sentAt: number) {
  const { input } = prepared;
  const delay = input.delaySeconds ?? queue.config.delaySeconds;
  return [
    queue.id,
    prepared.messageId,
    input.body,
    input.messageAttributes && Object.keys(input.messageAttributes).length > 0
      ? JSON.stringify(input.messageAttributes)
      : null,
    input.messageSystemAttributes ? JSON.stringify(input.messageSystemAttributes) : null,
    prepared.md5OfBody,
    prepared.md5OfAttributes ?? null,
    ctx.accountId,
    sentAt,
    sentAt + delay * 1000,
    input.messageGroupId ?? null,
    prepared.dedupId ?? null,
  ];
}

/** Standard queues: one multi-row INSERT for the whole batch, atomic on its own. */
async function insertStandard(
  ctx: QueueContext,
  db: Queryable,
  queue: Queue,
  batch: Prepared[],
): Promise<void> {
  const sentAt = ctx.now();
  const params: unknown[] = [];
  const tuples = batch.map((prepared, index) => {
    params.push(...rowValues(ctx, queue, prepared, sentAt));
    const base = index * COLUMN_COUNT;
    return `(${Array.from({ length: COLUMN_COUNT }, (_, k) => `$${base + k + 1}`).join(", ")})`;
  });
  await db.run(`INSERT INTO messages (${INSERT_COLUMNS}) VALUES ${tuples.join(", ")}`, params as never);
}

/**
 * FIFO queues: each message first claims its deduplication id for five minutes. A claim that
 * finds a live one is a duplicate: accepted, answered with the original's id, never delivered.
 * On PostgreSQL the claim's INSERT .. ON CONFLICT waits for a concurrent sender of the same id,
 * so two processes cannot both win.
 */
async function insertFifo(
  ctx: QueueContext,
  db: Queryable,
  queue: Queue,
  prepared: Prepared,
): Promise<SendResult> {
  const now = ctx.now();
  const claimed = await db.query<{ message_id: string }>(
    `INSERT INTO fifo_dedup (queue_id, dedup_id, message_id, sequence_number, expires_at)
     VALUES ($1, $2, $3, '', $4)
     ON CONFLICT (queue_id, dedup_id) DO UPDATE
       SET message_id = excluded.message_id, sequence_number = '', expires_at = excluded.expires_at
       WHERE fifo_dedup.expires_at <= $5
     RETURNING message_id`,
    [queue.id, prepared.dedupKey, prepared.messageId, now + DEDUP_WINDOW_MILLIS, now],
  );
  if (claimed.length === 0) {
    const [original] = await db.query<{ message_id: string; sequence_number: string }>(
      "SELECT message_id, sequence_number FROM fifo_dedup WHERE queue_id = $1 AND dedup_id = $2",
      [queue.id, prepared.dedupKey],
    );
    return resultOf(prepared, original!.message_id, original!.sequence_number);
  }
  const [row] = await db.query<{ id: number }>(
    `INSERT INTO messages (${INSERT_COLUMNS}) VALUES (${Array.from({ length: COLUMN_COUNT }, (_, k) => `$${k + 1}`).join(", ")}) RETURNING id`,
    rowValues(ctx, queue, prepared, now) as never,
  );
  const sequenceNumber = sequenceNumberOf(row!.id);
  await db.run("UPDATE fifo_dedup SET sequence_number = $1 WHERE queue_id = $2 AND dedup_id = $3", [
    sequenceNumber,
    queue.id,
    prepared.dedupKey,
  ]);
  return resultOf(prepared, prepared.messageId, sequenceNumber);
}

export async function sendMessage(ctx: QueueContext, name: string, input: SendInput): Promise<SendResult> {
  const queue = await ctx.catalog.get(name);
  const prepared = prepare(queue, input);
  if (!queue.fifo) {
    await insertStandard(ctx, ctx.store, queue, [prepared]);
    ctx.store.signal(queueChannel(queue.id));
    return resultOf(prepared, prepared.messageId);
  }
  return ctx.store.transaction(async (tx) => {
    tx.signal(queueChannel(queue.id));
    return insertFifo(ctx, tx, queue, prepared);
  });
}

/**
 * Sends up to ten messages in one transaction. Entries that break a per-message rule come back
 * in `failed` (SQS answers 200 for them); the rest are stored together.
 */
export async function sendMessageBatch(
  ctx: QueueContext,
  name: string,
  entries: Array<SendInput & { id: string }>,
): Promise<BatchResult<SendResult>> {
  const queue = await ctx.catalog.get(name);
  checkBatch(entries, "SendMessageBatchRequestEntry");
  checkBatchSize(entries);
  const result: BatchResult<SendResult> = { successful: [], failed: [] };
  const accepted: Array<{ id: string; prepared: Prepared }> = [];
  for (const entry of entries) {
    try {
      accepted.push({ id: entry.id, prepared: prepare(queue, entry) });
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      result.failed.push({ id: entry.id, code: error.queryCode, message: error.message, senderFault: true });
    }
  }
  if (accepted.length === 0) return result;
  if (!queue.fifo) {
    // One multi-row INSERT is atomic by itself: no explicit transaction, one round trip.
    await insertStandard(
      ctx,
      ctx.store,
      queue,
      accepted.map((a) => a.prepared),
    );
    ctx.store.signal(queueChannel(queue.id));
    for (const { id, prepared } of accepted)
      result.successful.push({ id, ...resultOf(prepared, prepared.messageId) });
    return result;
  }
  await ctx.store.transaction(async (tx) => {
    tx.signal(queueChannel(queue.id));
    for (const { id, prepared } of accepted)
      result.successful.push({ id, ...(await insertFifo(ctx, tx, queue, prepared)) });
  });
  return result;
}
