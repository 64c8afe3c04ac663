import { isUniqueViolation } from "../store/errors.js";
import {
  COMPUTED_ATTRIBUTES,
  firstDifference,
  initialAttributes,
  isKnownAttributeName,
  mergeAttributes,
  parseRedrivePolicy,
  redriveAllowed,
  validateAttributes,
} from "./attributes.js";
import { checkQueueName, type Queue } from "./catalog.js";
import type { QueueContext } from "./context.js";
import {
  invalidAttributeName,
  invalidParameter,
  purgeQueueInProgress,
  queueDeletedRecently,
  queueNameExists,
} from "./errors.js";
import type { QueueRef } from "./types.js";

const RECREATE_AFTER_MILLIS = 60_000;
const PURGE_EVERY_MILLIS = 60_000;
const MAX_LIST_RESULTS = 1000;

const TOKEN_PREFIX = "after:";

/** Page tokens carry the last name of the previous page; anything else is refused, not ignored. */
function encodePageToken(lastName: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${lastName}`, "utf8").toString("base64url");
}

function decodePageToken(token: string | undefined): string {
  if (token === undefined || token === "") return "";
  const text = Buffer.from(token, "base64url").toString("utf8");
  const name = text.slice(TOKEN_PREFIX.length);
  if (!text.startsWith(TOKEN_PREFIX) || !/^[A-Za-z0-9_.-]{1,80}$/.test(name)) {
    throw invalidParameter("NextToken", token, "Invalid NextToken value.");
  }
  return name;
}

const refOf = (queue: Queue): QueueRef => ({
  id: queue.id,
  name: queue.name,
  arn: queue.arn,
  fifo: queue.fifo,
});

/** A dead-letter target must exist, be of the same kind, and allow this source. */
async function checkRedriveTarget(
  ctx: QueueContext,
  sourceName: string,
  fifo: boolean,
  policy: string | undefined,
) {
  if (!policy) return;
  const { deadLetterTargetArn } = parseRedrivePolicy(policy);
  const targetName = ctx.nameFromArn(deadLetterTargetArn);
  const target = targetName ? await ctx.catalog.find(targetName) : undefined;
  if (!target) {
    throw invalidParameter("RedrivePolicy", policy, "Dead letter target does not exist.");
  }
  if (target.fifo !== fifo) {
    throw invalidParameter(
      "RedrivePolicy",
      policy,
      "Dead-letter queue must be same type of queue as the source.",
    );
  }
  if (!redriveAllowed(target.attributes.RedriveAllowPolicy, ctx.arnOf(sourceName))) {
    throw invalidParameter(
      "RedrivePolicy",
      policy,
      "Queue is not allowed to use the dead-letter target: its RedriveAllowPolicy does not permit it.",
    );
  }
}

export async function createQueue(
  ctx: QueueContext,
  name: string,
  given: Record<string, string> = {},
  tags: Record<string, string> = {},
): Promise<QueueRef> {
  const fifo = given.FifoQueue === "true";
  checkQueueName(name, fifo);
  validateAttributes(given, { fifo, creating: true });

  ctx.catalog.forget(name);
  const existing = await ctx.catalog.find(name);
  if (existing) return matchExisting(existing, given);

  const now = ctx.now();
  const [recent] = await ctx.store.query<{ deleted_at: number }>(
    "SELECT MAX(deleted_at) AS deleted_at FROM queues WHERE name = $1 AND deleted_at IS NOT NULL",
    [name],
  );
  if (recent?.deleted_at && now - recent.deleted_at < RECREATE_AFTER_MILLIS) throw queueDeletedRecently();
  await checkRedriveTarget(ctx, name, fifo, given.RedrivePolicy);

  const attributes = initialAttributes(fifo, given);
  for (const key of ["RedrivePolicy", "Policy", "RedriveAllowPolicy"])
    if (attributes[key] === "") delete attributes[key];
  try {
    await ctx.store.run(
      `INSERT INTO queues (name, fifo, attributes, tags, created_at, modified_at)
       VALUES ($1, $2, $3, $4, $5, $5)`,
      [name, fifo ? 1 : 0, JSON.stringify(attributes), JSON.stringify(tags), now],
    );
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Another process created it in the meantime: the same answer as if it had been first.
    return matchExisting(await ctx.catalog.fresh(name), given);
  }
  return refOf(await ctx.catalog.fresh(name));
}

function matchExisting(queue: Queue, given: Record<string, string>): QueueRef {
  const different = firstDifference(queue.attributes, given, queue.fifo);
  if (different) throw queueNameExists(different);
  return refOf(queue);
}

export async function deleteQueue(ctx: QueueContext, name: string): Promise<void> {
  const queue = await ctx.catalog.fresh(name);
  await ctx.store.transaction(async (tx) => {
    await tx.run("UPDATE queues SET deleted_at = $1 WHERE id = $2", [ctx.now(), queue.id]);
    await tx.run("DELETE FROM messages WHERE queue_id = $1", [queue.id]);
    await tx.run("DELETE FROM fifo_dedup WHERE queue_id = $1", [queue.id]);
  });
  ctx.catalog.forget(name);
}

/** Names in order; the token is the last name of the page, so pages stay stable as queues come and go. */
export async function listQueues(
  ctx: QueueContext,
  options: { prefix?: string; maxResults?: number; nextToken?: string } = {},
): Promise<{ names: string[]; nextToken?: string }> {
  const { prefix = "", maxResults, nextToken } = options;
  if (
    maxResults !== undefined &&
    !(Number.isInteger(maxResults) && maxResults >= 1 && maxResults <= MAX_LIST_RESULTS)
  ) {
    throw invalidParameter("MaxResults", maxResults, "MaxResults must be an integer between 1 and 1000.");
  }
  const after = decodePageToken(nextToken);
  const limit = maxResults ?? MAX_LIST_RESULTS;
  const rows = await ctx.store.query<{ name: string }>(
    `SELECT name FROM queues WHERE deleted_at IS NULL AND name > $1 AND substr(name, 1, $2) = $3
     ORDER BY name LIMIT $4`,
    [after, prefix.length, prefix, limit + 1],
  );
  const names = rows.slice(0, limit).map((row) => row.name);
  const more = rows.length > limit && maxResults !== undefined;
  return more ? { names, nextToken: encodePageToken(names.at(-1)!) } : { names };
}

export async function getQueueAttributes(
  ctx: QueueContext,
  name: string,
  requested: string[],
): Promise<Record<string, string>> {
  const queue = await ctx.catalog.fresh(name);
  for (const attribute of requested)
    if (!isKnownAttributeName(attribute)) throw invalidAttributeName(attribute);
  const all = requested.includes("All");
  const wanted = (attribute: string) => all || requested.includes(attribute);
  const result: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(queue.attributes))
    if (wanted(attribute)) result[attribute] = value;
  if (wanted("QueueArn")) result.QueueArn = queue.arn;
  if (wanted("CreatedTimestamp")) result.CreatedTimestamp = String(Math.floor(queue.createdAt / 1000));
  if (wanted("LastModifiedTimestamp"))
    result.LastModifiedTimestamp = String(Math.floor(queue.modifiedAt / 1000));
  if (COMPUTED_ATTRIBUTES.some((attribute) => attribute.startsWith("Approximate") && wanted(attribute))) {
    const now = ctx.now();
    const [counts] = await ctx.store.query<{
      visible: number | null;
      inflight: number | null;
      delayed: number | null;
    }>(
      `SELECT
         SUM(CASE WHEN visible_at <= $2 THEN 1 ELSE 0 END) AS visible,
         SUM(CASE WHEN visible_at > $2 AND receive_count > 0 THEN 1 ELSE 0 END) AS inflight,
         SUM(CASE WHEN visible_at > $2 AND receive_count = 0 THEN 1 ELSE 0 END) AS delayed
       FROM messages WHERE queue_id = $1 AND sent_at > $3`,
      [queue.id, now, now - queue.config.messageRetentionPeriod * 1000],
    );
    if (wanted("ApproximateNumberOfMessages"))
      result.ApproximateNumberOfMessages = String(Number(counts?.visible ?? 0));
    if (wanted("ApproximateNumberOfMessagesNotVisible")) {
      result.ApproximateNumberOfMessagesNotVisible = String(Number(counts?.inflight ?? 0));
    }
    if (wanted("ApproximateNumberOfMessagesDelayed")) {
      result.ApproximateNumberOfMessagesDelayed = String(Number(counts?.delayed ?? 0));
    }
  }
  return result;
}

export async function setQueueAttributes(
  ctx: QueueContext,
  name: string,
  changes: Record<string, string>,
): Promise<void> {
  const queue = await ctx.catalog.fresh(name);
  validateAttributes(changes, { fifo: queue.fifo, creating: false });
  await checkRedriveTarget(ctx, name, queue.fifo, changes.RedrivePolicy);
  await ctx.store.transaction(async (tx) => {
    // Re-read inside the transaction so concurrent changes to different attributes both stick.
    const [row] = await tx.query<{ attributes: string }>("SELECT attributes FROM queues WHERE id = $1", [
      queue.id,
    ]);
    const merged = mergeAttributes(JSON.parse(row!.attributes) as Record<string, string>, changes);
    await tx.run("UPDATE queues SET attributes = $1, modified_at = $2 WHERE id = $3", [
      JSON.stringify(merged),
      ctx.now(),
      queue.id,
    ]);
  });
  ctx.catalog.forget(name);
}

export async function listDeadLetterSourceQueues(
  ctx: QueueContext,
  name: string,
  options: { maxResults?: number; nextToken?: string } = {},
): Promise<{ names: string[]; nextToken?: string }> {
  const target = await ctx.catalog.get(name);
  const sources = (await ctx.catalog.all())
    .filter((queue) => queue.config.redrivePolicy?.deadLetterTargetArn === target.arn)
    .map((queue) => queue.name);
  const after = decodePageToken(options.nextToken);
  const remaining = sources.filter((source) => source > after);
  const limit = options.maxResults ?? MAX_LIST_RESULTS;
  const names = remaining.slice(0, limit);
  return remaining.length > limit && options.maxResults !== undefined
    ? { names, nextToken: encodePageToken(names.at(-1)!) }
    : { names };
}

async function updateTags(ctx: QueueContext, name: string, change: (tags: Record<string, string>) => void) {
  const queue = await ctx.catalog.get(name);
  await ctx.store.transaction(async (tx) => {
    const [row] = await tx.query<{ tags: string }>("SELECT tags FROM queues WHERE id = $1", [queue.id]);
    const tags = JSON.parse(row!.tags) as Record<string, string>;
    change(tags);
    await tx.run("UPDATE queues SET tags = $1 WHERE id = $2", [JSON.stringify(tags), queue.id]);
  });
  ctx.catalog.forget(name);
}

export function tagQueue(ctx: QueueContext, name: string, tags: Record<string, string>): Promise<void> {
  return updateTags(ctx, name, (current) => Object.assign(current, tags));
}

export function untagQueue(ctx: QueueContext, name: string, keys: string[]): Promise<void> {
  return updateTags(ctx, name, (current) => {
    for (const key of keys) delete current[key];
  });
}

export async function listQueueTags(ctx: QueueContext, name: string): Promise<Record<string, string>> {
  return (await ctx.catalog.fresh(name)).tags;
}

/** Removes every message, visible, in flight or delayed, and the FIFO deduplication history. */
export async function purgeQueue(ctx: QueueContext, name: string): Promise<void> {
  const queue = await ctx.catalog.get(name);
  await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const claimed = await tx.run(
      "UPDATE queues SET purged_at = $1 WHERE id = $2 AND (purged_at IS NULL OR purged_at <= $3)",
      [now, queue.id, now - PURGE_EVERY_MILLIS],
    );
    if (claimed.changes === 0) throw purgeQueueInProgress(name);
    await tx.run("DELETE FROM messages WHERE queue_id = $1", [queue.id]);
    await tx.run("DELETE FROM fifo_dedup WHERE queue_id = $1", [queue.id]);
  });
}
