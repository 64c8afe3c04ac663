import type { Queryable, SqlValue } from "../store/types.js";
import type { Queue } from "./catalog.js";
import { type QueueContext, queueChannel } from "./context.js";
import { invalidParameter, QueueError, receiptHandleIsInvalid } from "./errors.js";
import { checkBatch } from "./message-checks.js";
import { decodeReceipt, type Receipt } from "./receipt.js";
import { checkVisibilityTimeout } from "./receive.js";
import { inIds } from "./sql.js";
import type { BatchResult } from "./types.js";

const MAX_TOTAL_VISIBILITY_MILLIS = 43_200 * 1000;

function receiptFor(queue: Queue, handle: string): Receipt {
  const receipt = decodeReceipt(handle);
  if (receipt.queueId !== queue.id) throw receiptHandleIsInvalid(handle);
  return receipt;
}

/**
 * Deletes by receipt handle. On a standard queue any handle of the message deletes it, even one
 * whose visibility timeout ran out, and a message already gone is no error. On a FIFO queue
 * only the handle of the current, unexpired receive does.
 */
async function deleteOne(ctx: QueueContext, db: Queryable, queue: Queue, handle: string): Promise<void> {
  const receipt = receiptFor(queue, handle);
  if (!queue.fifo) {
    await db.run("DELETE FROM messages WHERE id = $1 AND queue_id = $2", [receipt.rowId, queue.id]);
    return;
  }
  const deleted = await db.run(
    "DELETE FROM messages WHERE id = $1 AND queue_id = $2 AND receive_count = $3 AND visible_at > $4",
    [receipt.rowId, queue.id, receipt.receiveCount, ctx.now()],
  );
  if (deleted.changes > 0) {
    // The next message of the group may now be received.
    db.signal(queueChannel(queue.id));
    return;
  }
  const [exists] = await db.query("SELECT 1 AS found FROM messages WHERE id = $1 AND queue_id = $2", [
    receipt.rowId,
    queue.id,
  ]);
  if (exists) throw invalidParameter("ReceiptHandle", handle, "The receipt handle has expired.");
}

/**
 * Deletes messages of a queue by row id. On PostgreSQL the ids join as a set, so the planner probes
 * the primary key once per id; written as `id = ANY(...)` beside `queue_id` it would walk the queue's
 * whole `messages_ready` index instead, dead entries included, whenever statistics say the table
 * is nearly empty (a drained queue: the normal state of a healthy one).
 */
async function deleteRows(ctx: QueueContext, queueId: number, rowIds: number[]): Promise<void> {
  if (ctx.store.dialect === "postgres") {
    await ctx.store.run(
      "DELETE FROM messages USING unnest($2::bigint[]) AS batch(id) WHERE messages.id = batch.id AND messages.queue_id = $1",
      [queueId, rowIds as unknown as SqlValue],
    );
    return;
  }
  const [clause, ids] = inIds(ctx.store.dialect, "id", 2, rowIds);
  await ctx.store.run(`DELETE FROM messages WHERE queue_id = $1 AND ${clause}`, [queueId, ids]);
}

export async function deleteMessage(ctx: QueueContext, name: string, handle: string): Promise<void> {
  const queue = await ctx.catalog.get(name);
  if (!queue.fifo) {
    await deleteOne(ctx, ctx.store, queue, handle);
    return;
  }
  await ctx.store.transaction((tx) => deleteOne(ctx, tx, queue, handle));
}

export async function deleteMessageBatch(
  ctx: QueueContext,
  name: string,
  entries: Array<{ id: string; receiptHandle: string }>,
): Promise<BatchResult<object>> {
  const queue = await ctx.catalog.get(name);
  checkBatch(entries, "DeleteMessageBatchRequestEntry");
  const result: BatchResult<object> = { successful: [], failed: [] };
  if (!queue.fifo) {
    // One statement for the whole batch: the common, hot path.
    const rowIds: number[] = [];
    for (const entry of entries) {
      try {
        rowIds.push(receiptFor(queue, entry.receiptHandle).rowId);
        result.successful.push({ id: entry.id });
      } catch (error) {
        result.failed.push(failure(entry.id, error));
      }
    }
    if (rowIds.length > 0) await deleteRows(ctx, queue.id, rowIds);
    return result;
  }
  await ctx.store.transaction(async (tx) => {
    for (const entry of entries) {
      try {
        await deleteOne(ctx, tx, queue, entry.receiptHandle);
        result.successful.push({ id: entry.id });
      } catch (error) {
        result.failed.push(failure(entry.id, error));
      }
    }
  });
  return result;
}

/**
 * Restarts the visibility timer of a message in flight from now. A message whose timeout already
 * ran out is left as it is (SQS answers 200); one that is gone is an error.
 */
async function changeOne(
  ctx: QueueContext,
  db: Queryable,
  queue: Queue,
  handle: string,
  seconds: number,
): Promise<void> {
  const receipt = receiptFor(queue, handle);
  checkVisibilityTimeout(seconds);
  const [row] = await db.query<{ receive_count: number; visible_at: number; received_at: number | null }>(
    "SELECT receive_count, visible_at, received_at FROM messages WHERE id = $1 AND queue_id = $2",
    [receipt.rowId, queue.id],
  );
  const now = ctx.now();
  if (!row || (queue.fifo && row.receive_count !== receipt.receiveCount)) {
    throw invalidParameter(
      "ReceiptHandle",
      handle,
      "Message does not exist or is not available for visibility timeout change.",
    );
  }
  if (row.receive_count === 0 || row.visible_at <= now) return;
  const visibleAt = now + seconds * 1000;
  if (row.received_at !== null && visibleAt - row.received_at > MAX_TOTAL_VISIBILITY_MILLIS) {
    throw invalidParameter(
      "VisibilityTimeout",
      seconds,
      "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
    );
  }
  await db.run("UPDATE messages SET visible_at = $1 WHERE id = $2", [visibleAt, receipt.rowId]);
  if (seconds === 0) db.signal(queueChannel(queue.id));
}

export async function changeMessageVisibility(
  ctx: QueueContext,
  name: string,
  handle: string,
  seconds: number,
): Promise<void> {
  const queue = await ctx.catalog.get(name);
  await ctx.store.transaction((tx) => changeOne(ctx, tx, queue, handle, seconds));
}

export async function changeMessageVisibilityBatch(
  ctx: QueueContext,
  name: string,
  entries: Array<{ id: string; receiptHandle: string; visibilityTimeout: number }>,
): Promise<BatchResult<object>> {
  const queue = await ctx.catalog.get(name);
  checkBatch(entries, "ChangeMessageVisibilityBatchRequestEntry");
  const result: BatchResult<object> = { successful: [], failed: [] };
  await ctx.store.transaction(async (tx) => {
    for (const entry of entries) {
      try {
        await changeOne(ctx, tx, queue, entry.receiptHandle, entry.visibilityTimeout);
        result.successful.push({ id: entry.id });
      } catch (error) {
        result.failed.push(failure(entry.id, error));
      }
    }
  });
  return result;
}

function failure(id: string, error: unknown) {
  if (!(error instanceof QueueError)) throw error;
  return { id, code: error.queryCode, message: error.message, senderFault: true };
}
