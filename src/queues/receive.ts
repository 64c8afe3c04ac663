import type { Queryable } from "../store/types.js";
import type { Queue } from "./catalog.js";
import { type QueueContext, queueChannel } from "./context.js";
import { invalidParameter } from "./errors.js";
import { encodeReceipt } from "./receipt.js";
import { sequenceNumberOf } from "./send.js";
import { inIds, skipLocked } from "./sql.js";
import type { MessageAttributes, ReceivedMessage, ReceiveInput } from "./types.js";

/** Without a wake-up signal (another process on SQLite, a lost NOTIFY) a long poll looks again this often. */
const FALLBACK_POLL_MILLIS = 1000;
const MAX_VISIBILITY_TIMEOUT = 43_200;

interface MessageRow {
  id: number;
  message_id: string;
  body: string;
  message_attributes: string | null;
  system_attributes: string | null;
  md5_body: string;
  sender_id: string;
  sent_at: number;
  receive_count: number;
  first_received_at: number | null;
  group_id: string | null;
  dedup_id: string | null;
  dead_letter_source_arn: string | null;
}

const COLUMNS =
  "id, message_id, body, message_attributes, system_attributes, md5_body, sender_id, sent_at, receive_count, first_received_at, group_id, dedup_id, dead_letter_source_arn";

export function checkReceiveInput(input: ReceiveInput): void {
  const { maxNumberOfMessages: max, waitTimeSeconds: wait, visibilityTimeout: visibility } = input;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 10)) {
    throw invalidParameter("MaxNumberOfMessages", max, "Must be between 1 and 10, if provided.");
  }
  if (wait !== undefined && !(Number.isInteger(wait) && wait >= 0 && wait <= 20)) {
    throw invalidParameter("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.");
  }
  if (visibility !== undefined) checkVisibilityTimeout(visibility);
}

export function checkVisibilityTimeout(seconds: number): void {
  if (!(Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_VISIBILITY_TIMEOUT)) {
    throw invalidParameter(
      "VisibilityTimeout",
      seconds,
      `Must be between 0 and ${MAX_VISIBILITY_TIMEOUT}, if provided.`,
    );
  }
}

/**
 * Picks up to `limit` receivable messages. Standard queues take the longest-visible first.
 * FIFO queues take messages in order per group, skipping every group that has a message in
 * flight or an earlier message not yet visible; on PostgreSQL a per-queue advisory lock makes
 * FIFO receives take turns, since the group rules span rows that SKIP LOCKED alone cannot guard.
 */
async function pick(ctx: QueueContext, tx: Queryable, queue: Queue, now: number, limit: number) {
  if (!queue.fifo) {
    return tx.query<MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE queue_id = $1 AND visible_at <= $2
       ORDER BY visible_at, id LIMIT $3${skipLocked(tx.dialect)}`,
      [queue.id, now, limit],
    );
  }
  if (tx.dialect === "postgres") {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `inflow-fifo:${ctx.store.location}:${queue.id}`,
    ]);
  }
  return tx.query<MessageRow>(
    `SELECT ${COLUMNS} FROM messages m WHERE m.queue_id = $1 AND m.visible_at <= $2
       AND NOT EXISTS (
         SELECT 1 FROM messages b WHERE b.queue_id = m.queue_id AND b.group_id = m.group_id
           AND b.visible_at > $2 AND (b.receive_count > 0 OR b.id < m.id))
     ORDER BY m.id LIMIT $3`,
    [queue.id, now, limit],
  );
}

function toMessage(
  queue: Queue,
  row: MessageRow,
  receiveCount: number,
  firstReceivedAt: number,
): ReceivedMessage {
  const attributes: Record<string, string> = {
    SenderId: row.sender_id,
    SentTimestamp: String(row.sent_at),
    ApproximateReceiveCount: String(receiveCount),
    ApproximateFirstReceiveTimestamp: String(firstReceivedAt),
  };
  if (queue.fifo) {
    attributes.SequenceNumber = sequenceNumberOf(row.id);
    if (row.group_id !== null) attributes.MessageGroupId = row.group_id;
    if (row.dedup_id !== null) attributes.MessageDeduplicationId = row.dedup_id;
  } else if (row.group_id !== null) {
    attributes.MessageGroupId = row.group_id;
  }
  if (row.system_attributes) {
    const system = JSON.parse(row.system_attributes) as MessageAttributes;
    if (system.AWSTraceHeader?.StringValue) attributes.AWSTraceHeader = system.AWSTraceHeader.StringValue;
  }
  if (row.dead_letter_source_arn) attributes.DeadLetterQueueSourceArn = row.dead_letter_source_arn;
  return {
    messageId: row.message_id,
    receiptHandle: encodeReceipt({ queueId: queue.id, rowId: row.id, receiveCount }),
    body: row.body,
    md5OfBody: row.md5_body,
    attributes,
    messageAttributes: row.message_attributes
      ? (JSON.parse(row.message_attributes) as MessageAttributes)
      : {},
  };
}

interface Attempt {
  messages: ReceivedMessage[];
  /** Rows were dropped or dead-lettered and none delivered: looking again may find more. */
  cleared: boolean;
}

/**
 * One receive attempt: expired messages are dropped, messages received maxReceiveCount times
 * already move to the dead-letter queue, the rest are handed out.
 */
async function receiveOnce(
  ctx: QueueContext,
  queue: Queue,
  limit: number,
  visibilitySeconds: number,
): Promise<Attempt> {
  const redrive = queue.config.redrivePolicy;
  const deadLetterQueue = redrive
    ? await ctx.catalog.find(ctx.nameFromArn(redrive.deadLetterTargetArn) ?? "")
    : undefined;
  const deadLetter =
    redrive && deadLetterQueue
      ? { queue: deadLetterQueue, maxReceiveCount: redrive.maxReceiveCount }
      : undefined;
  if (ctx.store.dialect === "postgres" && !queue.fifo) {
    return receiveOnceInOneStatement(ctx, queue, limit, visibilitySeconds, deadLetter);
  }
  return ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const retentionCutoff = now - queue.config.messageRetentionPeriod * 1000;
    const rows = await pick(ctx, tx, queue, now, limit);
    const expired: number[] = [];
    const deadLettered: number[] = [];
    const delivered: MessageRow[] = [];
    for (const row of rows) {
      if (row.sent_at <= retentionCutoff) expired.push(row.id);
      else if (deadLetter && row.receive_count >= deadLetter.maxReceiveCount) deadLettered.push(row.id);
      else delivered.push(row);
    }
    if (expired.length > 0) {
      const [clause, ids] = inIds(tx.dialect, "id", 1, expired);
      await tx.run(`DELETE FROM messages WHERE ${clause}`, [ids]);
    }
    if (deadLettered.length > 0 && deadLetter) {
      const [clause, ids] = inIds(tx.dialect, "id", 1, deadLettered);
      await tx.run(
        `UPDATE messages SET queue_id = $2, dead_letter_source_arn = $3, visible_at = $4 WHERE ${clause}`,
        [ids, deadLetter.queue.id, queue.arn, now],
      );
      tx.signal(queueChannel(deadLetter.queue.id));
    }
    // Rows dropped or dead-lettered made room: the caller looks again at once.
    if (delivered.length === 0) return { messages: [], cleared: rows.length > 0 };
    const [clause, ids] = inIds(
      tx.dialect,
      "id",
      1,
      delivered.map((row) => row.id),
    );
    await tx.run(
      `UPDATE messages SET receive_count = receive_count + 1, visible_at = $2, received_at = $3,
         first_received_at = COALESCE(first_received_at, $3)
       WHERE ${clause}`,
      [ids, now + visibilitySeconds * 1000, now],
    );
    return {
      messages: delivered.map((row) =>
        toMessage(queue, row, row.receive_count + 1, row.first_received_at ?? now),
      ),
      cleared: false,
    };
  });
}

/**
 * The same attempt for a standard queue on PostgreSQL, as one statement: one round trip instead
 * of four (BEGIN, pick, update, COMMIT), which is most of the cost of a receive over the network.
 * Its data-modifying CTEs all run, each on its own share of the picked rows.
 */
async function receiveOnceInOneStatement(
  ctx: QueueContext,
  queue: Queue,
  limit: number,
  visibilitySeconds: number,
  deadLetter: { queue: Queue; maxReceiveCount: number } | undefined,
): Promise<Attempt> {
  const now = ctx.now();
  const rows = await ctx.store.query<MessageRow & { picked: number; dead: number }>(
    `WITH picked AS (
       SELECT id, sent_at, receive_count FROM messages
       WHERE queue_id = $1 AND visible_at <= $2
       ORDER BY visible_at, id LIMIT $3
       FOR UPDATE SKIP LOCKED
     ),
     expired AS (
       DELETE FROM messages WHERE id IN (SELECT id FROM picked WHERE sent_at <= $4)
     ),
     dead AS (
       UPDATE messages SET queue_id = $6, dead_letter_source_arn = $7, visible_at = $2
       WHERE $6::bigint IS NOT NULL
         AND id IN (SELECT id FROM picked WHERE sent_at > $4 AND receive_count >= $5)
       RETURNING id
     ),
     delivered AS (
       UPDATE messages m SET receive_count = m.receive_count + 1, visible_at = $8, received_at = $2,
         first_received_at = COALESCE(m.first_received_at, $2)
       FROM picked p
       WHERE m.id = p.id AND p.sent_at > $4 AND ($6::bigint IS NULL OR p.receive_count < $5)
       RETURNING ${COLUMNS.split(", ")
         .map((column) => `m.${column}`)
         .join(", ")}
     )
     SELECT (SELECT COUNT(*) FROM picked) AS picked, (SELECT COUNT(*) FROM dead) AS dead, d.*
     FROM (SELECT 1) AS one LEFT JOIN delivered d ON true`,
    [
      queue.id,
      now,
      limit,
      now - queue.config.messageRetentionPeriod * 1000,
      deadLetter?.maxReceiveCount ?? 0,
      deadLetter?.queue.id ?? null,
      queue.arn,
      now + visibilitySeconds * 1000,
    ],
  );
  const summary = rows[0]!;
  if (summary.dead > 0 && deadLetter) ctx.store.signal(queueChannel(deadLetter.queue.id));
  const delivered = rows.filter((row) => row.id !== null).sort((a, b) => a.id - b.id);
  if (delivered.length === 0) return { messages: [], cleared: summary.picked > 0 };
  // RETURNING gives the new values: the receive count after this receive, the first receive time.
  return {
    messages: delivered.map((row) => toMessage(queue, row, row.receive_count, row.first_received_at ?? now)),
    cleared: false,
  };
}

/** When the next message of the queue becomes visible (a delay or visibility timeout ends), if any. */
async function nextVisibleAt(ctx: QueueContext, queue: Queue, now: number): Promise<number | undefined> {
  const [row] = await ctx.store.query<{ at: number | null }>(
    "SELECT MIN(visible_at) AS at FROM messages WHERE queue_id = $1 AND visible_at > $2",
    [queue.id, now],
  );
  return row?.at ?? undefined;
}

/**
 * ReceiveMessage with long polling: answers as soon as at least one message is available, or
 * empty when the wait runs out. Waits on the queue's signal (a send, a visibility change to 0),
 * on the moment the next hidden message turns visible, and on a slow fallback poll.
 */
export async function receiveMessage(
  ctx: QueueContext,
  name: string,
  input: ReceiveInput,
  closing: AbortSignal,
): Promise<ReceivedMessage[]> {
  checkReceiveInput(input);
  const queue = await ctx.catalog.get(name);
  const limit = input.maxNumberOfMessages ?? 1;
  const visibility = input.visibilityTimeout ?? queue.config.visibilityTimeout;
  const waitSeconds = input.waitTimeSeconds ?? queue.config.receiveMessageWaitTimeSeconds;
  const deadline = ctx.now() + waitSeconds * 1000;

  if (waitSeconds === 0) {
    for (;;) {
      const { messages, cleared } = await receiveOnce(ctx, queue, limit, visibility);
      if (!cleared) return messages;
    }
  }
  const poll = ctx.longPolls.start(queueChannel(queue.id));
  const abort = () => poll.interrupt();
  input.signal?.addEventListener("abort", abort);
  closing.addEventListener("abort", abort);
  try {
    for (;;) {
      poll.woken = false;
      const { messages, cleared } = await receiveOnce(ctx, queue, limit, visibility);
      if (cleared) continue;
      // A full batch may have left more behind: the next sleeper looks too.
      if (messages.length === limit) poll.passOn();
      const now = ctx.now();
      if (messages.length > 0 || now >= deadline || input.signal?.aborted || closing.aborted) return messages;
      const next = await nextVisibleAt(ctx, queue, now);
      if (poll.woken) continue;
      // An abort that came while we were querying found no sleeper to wake: honour it here.
      if (input.signal?.aborted || closing.aborted) return [];
      const until = Math.min(deadline, next ?? Number.POSITIVE_INFINITY, now + FALLBACK_POLL_MILLIS);
      await poll.sleep(Math.max(0, until - now));
    }
  } finally {
    poll.end();
    input.signal?.removeEventListener("abort", abort);
    closing.removeEventListener("abort", abort);
  }
}
