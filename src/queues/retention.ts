import type { QueueContext } from "./context.js";

/**
 * Deletes messages older than their queue's MessageRetentionPeriod and FIFO deduplication
 * records past their window. Receives already skip expired messages; this keeps the tables small.
 */
export async function sweepExpired(ctx: QueueContext): Promise<void> {
  const now = ctx.now();
  for (const queue of await ctx.catalog.all()) {
    await ctx.store.run("DELETE FROM messages WHERE queue_id = $1 AND sent_at <= $2", [
      queue.id,
      now - queue.config.messageRetentionPeriod * 1000,
    ]);
  }
  await ctx.store.run("DELETE FROM fifo_dedup WHERE expires_at <= $1", [now]);
}
