import type { Queryable, Store } from "../store/types.js";
import { configOf, type QueueConfig } from "./attributes.js";
import { invalidParameterValue, queueDoesNotExist } from "./errors.js";
import type { QueueRef } from "./types.js";

/** A live queue as the message operations need it: identity plus parsed configuration. */
export interface Queue extends QueueRef {
  attributes: Record<string, string>;
  tags: Record<string, string>;
  config: QueueConfig;
  createdAt: number;
  modifiedAt: number;
  purgedAt: number | null;
}

interface QueueRow {
  id: number;
  name: string;
  fifo: number;
  attributes: string;
  tags: string;
  created_at: number;
  modified_at: number;
  purged_at: number | null;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Checks a queue name as CreateQueue does; the `.fifo` suffix counts towards the 80 characters. */
export function checkQueueName(name: string, fifo: boolean): void {
  if (typeof name !== "string") throw invalidParameterValue("Queue name must be a string.");
  if (fifo) {
    if (!name.endsWith(".fifo") || !NAME.test(`${name.slice(0, -5)}_fifo`)) {
      throw invalidParameterValue(
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
      );
    }
    return;
  }
  if (!NAME.test(name)) {
    throw invalidParameterValue(
      "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
    );
  }
}

/**
 * Queue lookups by name, cached briefly. Every message operation starts with one, so the cache
 * saves a round trip per call; a change made in this process clears its entry at once, a change
 * made by another process shows within CACHE_MILLIS (SQS itself takes up to 60 s to apply
 * attribute changes everywhere).
 */
export function createCatalog(store: Store, now: () => number, arnOf: (name: string) => string) {
  const CACHE_MILLIS = 1000;
  const cache = new Map<string, { queue: Queue; until: number }>();

  const fromRow = (row: QueueRow): Queue => {
    const attributes = JSON.parse(row.attributes) as Record<string, string>;
    return {
      id: row.id,
      name: row.name,
      arn: arnOf(row.name),
      fifo: row.fifo === 1,
      attributes,
      tags: JSON.parse(row.tags) as Record<string, string>,
      config: configOf(attributes),
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      purgedAt: row.purged_at,
    };
  };

  const columns = "id, name, fifo, attributes, tags, created_at, modified_at, purged_at";

  return {
    async find(name: string, db: Queryable = store): Promise<Queue | undefined> {
      const cached = cache.get(name);
      if (cached && cached.until > now()) return cached.queue;
      const [row] = await db.query<QueueRow>(
        `SELECT ${columns} FROM queues WHERE name = $1 AND deleted_at IS NULL`,
        [name],
      );
      if (!row) {
        cache.delete(name);
        return undefined;
      }
      const queue = fromRow(row);
      cache.set(name, { queue, until: now() + CACHE_MILLIS });
      return queue;
    },

    async get(name: string, db: Queryable = store): Promise<Queue> {
      const queue = await this.find(name, db);
      if (!queue) throw queueDoesNotExist();
      return queue;
    },

    /** Reads past the cache: for changes that must see the latest attributes. */
    async fresh(name: string, db: Queryable = store): Promise<Queue> {
      cache.delete(name);
      return this.get(name, db);
    },

    async byId(id: number, db: Queryable = store): Promise<Queue | undefined> {
      const [row] = await db.query<QueueRow>(
        `SELECT ${columns} FROM queues WHERE id = $1 AND deleted_at IS NULL`,
        [id],
      );
      return row ? fromRow(row) : undefined;
    },

    async all(db: Queryable = store): Promise<Queue[]> {
      const rows = await db.query<QueueRow>(
        `SELECT ${columns} FROM queues WHERE deleted_at IS NULL ORDER BY name`,
      );
      return rows.map(fromRow);
    },

    forget(name: string): void {
      cache.delete(name);
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
