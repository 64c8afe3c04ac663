import { randomUUID } from "node:crypto";
import { isUniqueViolation } from "../store/errors.js";
import type { Queue } from "./catalog.js";
import { type QueueContext, queueChannel } from "./context.js";
import { invalidParameter, invalidParameterValue, resourceNotFound } from "./errors.js";
import { inIds, skipLocked } from "./sql.js";
import type { MoveTask, MoveTaskStatus } from "./types.js";

/** How long a process owns a task it works on; another takes over when it stops renewing. */
const LEASE_MILLIS = 15_000;
/** Messages moved per transaction when the task sets no rate. */
const UNLIMITED_BATCH = 100;
const MAX_RATE = 500;

interface TaskRow {
  id: number;
  handle: string;
  source_queue_id: number;
  source_arn: string;
  destination_arn: string | null;
  max_per_second: number | null;
  status: MoveTaskStatus;
  moved: number;
  to_move: number;
  failure_reason: string | null;
  started_at: number;
}

function toTask(row: TaskRow): MoveTask {
  return {
    ...(row.status === "RUNNING" ? { taskHandle: row.handle } : {}),
    status: row.status,
    sourceArn: row.source_arn,
    ...(row.destination_arn ? { destinationArn: row.destination_arn } : {}),
    ...(row.max_per_second !== null ? { maxNumberOfMessagesPerSecond: row.max_per_second } : {}),
    approximateNumberOfMessagesMoved: row.moved,
    approximateNumberOfMessagesToMove: row.to_move,
    ...(row.failure_reason ? { failureReason: row.failure_reason } : {}),
    startedTimestamp: row.started_at,
  };
}

async function queueByArn(ctx: QueueContext, arn: string, parameter: string): Promise<Queue> {
  const name = ctx.nameFromArn(arn);
  const queue = name ? await ctx.catalog.find(name) : undefined;
  if (!queue)
    throw resourceNotFound(`The resource that you specified for the ${parameter} parameter doesn't exist.`);
  return queue;
}

export async function startMessageMoveTask(
  ctx: QueueContext,
  input: { sourceArn: string; destinationArn?: string; maxNumberOfMessagesPerSecond?: number },
): Promise<{ taskHandle: string }> {
  const source = await queueByArn(ctx, input.sourceArn, "SourceArn");
  const isDeadLetterQueue = (await ctx.catalog.all()).some(
    (queue) => queue.config.redrivePolicy?.deadLetterTargetArn === source.arn,
  );
  if (!isDeadLetterQueue)
    throw invalidParameterValue("Source queue must be configured as a Dead Letter Queue.");
  if (input.destinationArn !== undefined) await queueByArn(ctx, input.destinationArn, "DestinationArn");
  const rate = input.maxNumberOfMessagesPerSecond;
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1 && rate <= MAX_RATE)) {
    throw invalidParameter("MaxNumberOfMessagesPerSecond", rate, `Must be between 1 and ${MAX_RATE}.`);
  }
  const handle = Buffer.from(
    JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn }),
    "utf8",
  ).toString("base64url");
  const now = ctx.now();
  const [count] = await ctx.store.query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM messages WHERE queue_id = $1 AND visible_at <= $2",
    [source.id, now],
  );
  try {
    await ctx.store.run(
      `INSERT INTO move_tasks (handle, source_queue_id, source_arn, destination_arn, max_per_second, status, to_move, started_at)
       VALUES ($1, $2, $3, $4, $5, 'RUNNING', $6, $7)`,
      [handle, source.id, source.arn, input.destinationArn ?? null, rate ?? null, Number(count?.n ?? 0), now],
    );
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw invalidParameterValue(
      "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    );
  }
  return { taskHandle: handle };
}

export async function listMessageMoveTasks(
  ctx: QueueContext,
  sourceArn: string,
  maxResults = 1,
): Promise<MoveTask[]> {
  if (!(Number.isInteger(maxResults) && maxResults >= 1 && maxResults <= 10)) {
    throw invalidParameter("MaxResults", maxResults, "Must be between 1 and 10, if provided.");
  }
  await queueByArn(ctx, sourceArn, "SourceArn");
  const rows = await ctx.store.query<TaskRow>(
    "SELECT * FROM move_tasks WHERE source_arn = $1 ORDER BY started_at DESC, id DESC LIMIT $2",
    [sourceArn, maxResults],
  );
  return rows.map(toTask);
}

export async function cancelMessageMoveTask(
  ctx: QueueContext,
  handle: string,
): Promise<{ approximateNumberOfMessagesMoved: number }> {
  let sourceArn: unknown;
  try {
    sourceArn = (JSON.parse(Buffer.from(handle, "base64url").toString("utf8")) as { sourceArn?: unknown })
      .sourceArn;
  } catch {
    sourceArn = undefined;
  }
  if (typeof sourceArn !== "string")
    throw invalidParameterValue("Value for parameter TaskHandle is invalid.");
  await queueByArn(ctx, sourceArn, "SourceArn");
  const [row] = await ctx.store.query<TaskRow>("SELECT * FROM move_tasks WHERE handle = $1", [handle]);
  if (!row) throw resourceNotFound("Task does not exist.");
  if (row.status !== "RUNNING") {
    throw invalidParameterValue(`Only a RUNNING task can be cancelled; this task is ${row.status}.`);
  }
  await ctx.store.run("UPDATE move_tasks SET status = 'CANCELLING' WHERE id = $1 AND status = 'RUNNING'", [
    row.id,
  ]);
  return { approximateNumberOfMessagesMoved: row.moved };
}

async function finish(ctx: QueueContext, id: number, status: MoveTaskStatus, reason?: string): Promise<void> {
  await ctx.store.run(
    "UPDATE move_tasks SET status = $1, failure_reason = $2, lease_until = 0 WHERE id = $3",
    [status, reason ?? null, id],
  );
}

/**
 * Moves one batch for a task. Each message goes to the task's destination or back to the queue
 * it was dead-lettered from, as a fresh message (receive count 0) with its MessageId kept.
 * Returns whether the task has more to do.
 */
async function step(ctx: QueueContext, task: TaskRow, batch: number): Promise<boolean> {
  const [current] = await ctx.store.query<{ status: MoveTaskStatus }>(
    "SELECT status FROM move_tasks WHERE id = $1",
    [task.id],
  );
  if (current?.status === "CANCELLING") {
    await finish(ctx, task.id, "CANCELLED");
    return false;
  }
  if (current?.status !== "RUNNING") return false;
  const source = await ctx.catalog.byId(task.source_queue_id);
  if (!source) {
    await finish(ctx, task.id, "FAILED", "AWS.SimpleQueueService.NonExistentQueue");
    return false;
  }
  const outcome = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const limit = Math.min(batch, task.to_move - task.moved);
    if (limit <= 0) return { moved: 0, done: true };
    const rows = await tx.query<{ id: number; dead_letter_source_arn: string | null }>(
      `SELECT id, dead_letter_source_arn FROM messages WHERE queue_id = $1 AND visible_at <= $2
       ORDER BY id LIMIT $3${skipLocked(tx.dialect)}`,
      [source.id, now, limit],
    );
    if (rows.length === 0) return { moved: 0, done: true };
    const byDestination = new Map<string, number[]>();
    for (const row of rows) {
      const destination = task.destination_arn ?? row.dead_letter_source_arn;
      if (!destination) return { failure: "Message has no DeadLetterQueueSourceArn to move back to." };
      byDestination.set(destination, [...(byDestination.get(destination) ?? []), row.id]);
    }
    for (const [arn, ids] of byDestination) {
      const name = ctx.nameFromArn(arn);
      const destination = name ? await ctx.catalog.find(name, tx) : undefined;
      if (!destination) return { failure: "AWS.SimpleQueueService.NonExistentQueue" };
      const [clause, list] = inIds(tx.dialect, "id", 1, ids);
      await tx.run(
        `UPDATE messages SET queue_id = $2, receive_count = 0, first_received_at = NULL, received_at = NULL,
           dead_letter_source_arn = NULL, visible_at = $3 WHERE ${clause}`,
        [list, destination.id, now],
      );
      tx.signal(queueChannel(destination.id));
    }
    await tx.run("UPDATE move_tasks SET moved = moved + $1, lease_until = $2 WHERE id = $3", [
      rows.length,
      now + LEASE_MILLIS,
      task.id,
    ]);
    return { moved: rows.length, done: task.moved + rows.length >= task.to_move };
  });
  if ("failure" in outcome) {
    await finish(ctx, task.id, "FAILED", outcome.failure);
    return false;
  }
  task.moved += outcome.moved;
  if (outcome.done) {
    await finish(ctx, task.id, "COMPLETED");
    return false;
  }
  return true;
}

/**
 * Runs the move tasks no live process owns. A task is leased before it is worked on, so with
 * many processes each task has one mover; after a crash the lease runs out and another resumes it.
 */
export function createMoveTaskRunner(ctx: QueueContext) {
  let stopped = false;
  let running: Promise<void> | undefined;
  const sleepers = new Set<() => void>();
  const sleep = (millis: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, millis);
      sleepers.add(done);
    });

  const work = async (task: TaskRow) => {
    const rate = task.max_per_second;
    for (;;) {
      if (stopped) return;
      const started = Date.now();
      const more = await step(ctx, task, rate ?? UNLIMITED_BATCH);
      if (!more) return;
      if (rate) await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
  };

  const tick = async () => {
    const now = ctx.now();
    const candidates = await ctx.store.query<TaskRow>(
      "SELECT * FROM move_tasks WHERE status IN ('RUNNING', 'CANCELLING') AND lease_until < $1",
      [now],
    );
    for (const task of candidates) {
      const leased = await ctx.store.run(
        "UPDATE move_tasks SET lease_until = $1 WHERE id = $2 AND lease_until < $3",
        [now + LEASE_MILLIS, task.id, now],
      );
      if (leased.changes === 1) await work(task);
    }
  };

  return {
    /** Looks for work now (after StartMessageMoveTask) instead of at the next tick. */
    kick(): void {
      if (stopped || running) return;
      running = tick()
        .catch(() => undefined)
        .finally(() => {
          running = undefined;
        });
    },
    async stop(): Promise<void> {
      stopped = true;
      for (const wake of sleepers) wake();
      await running;
    },
  };
}
