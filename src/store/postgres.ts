import { createHash, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import pg from "pg";
import { MigrationError, StoreError } from "./errors.js";
import { loadMigrations } from "./migrations.js";
import type { Queryable, SqlValue, Store } from "./types.js";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8 = 20;
const NOTIFY_CHANNEL_PREFIX = "inflow";

// BIGINT columns hold epoch milliseconds and row ids, all far below 2^53.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

/**
 * PostgreSQL through a `pg` pool. Signals ride on LISTEN/NOTIFY on one channel per schema (so
 * schemas sharing a database never hear each other), with the logical channel in the payload.
 */
export async function openPostgres(
  url: string,
  options: { schema?: string; poolSize?: number } = {},
): Promise<Store> {
  const schema = options.schema ?? "public";
  if (!IDENTIFIER.test(schema)) {
    throw new StoreError(`Invalid PostgreSQL schema name "${schema}": use lowercase letters, digits and _.`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    options: `-c search_path=${schema}`,
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);

  const location = redact(url, schema);
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    await pool.end();
    throw new StoreError(`Cannot connect to PostgreSQL at ${location}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  await migrate(pool, schema);

  const notifyChannel = `${NOTIFY_CHANNEL_PREFIX}_${schema}`;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  // Notifications carry their store's origin, so this store does not hear its own twice.
  const origin = randomUUID();
  const listener = await startListener(url, notifyChannel, emitter, origin);

  const query = async <Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly SqlValue[]) =>
    (await client.query(prepared(sql, params))).rows as Row[];
  const signals = coalescedSignals(pool, notifyChannel, emitter, origin);

  return {
    dialect: "postgres",
    location,
    query: (sql, params) => query(pool, sql, params),
    async run(sql, params) {
      const result = await pool.query(prepared(sql, params));
      return { changes: result.rowCount ?? 0 };
    },
    signal(channel, payload = "") {
      signals.raise(channel, payload);
    },
    async transaction(work) {
      const client = await pool.connect();
      const pending: Array<[string, string]> = [];
      const tx: Queryable = {
        dialect: "postgres",
        query: (sql, params) => query(client, sql, params),
        async run(sql, params) {
          const result = await client.query(prepared(sql, params));
          return { changes: result.rowCount ?? 0 };
        },
        signal(channel, payload = "") {
          pending.push([channel, payload]);
        },
      };
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await work(tx);
        await client.query("COMMIT");
        for (const [channel, payload] of pending) signals.raise(channel, payload);
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    listen(channel, callback) {
      emitter.on(channel, callback);
      return () => emitter.off(channel, callback);
    },
    async close() {
      await signals.flush();
      await listener.stop();
      await pool.end();
    },
  };
}

const statementNames = new Map<string, string>();

/**
 * Statements with parameters go as named prepared statements, named by their text: each
 * connection parses and plans one once, not on every call (the queue and step statements run
 * thousands of times a second). The texts are a small, fixed set written in the code.
 */
function prepared(sql: string, params: readonly SqlValue[] | undefined): pg.QueryConfig {
  if (!params || params.length === 0) return { text: sql };
  let name = statementNames.get(sql);
  if (!name) {
    name = `inflow_${createHash("sha1").update(sql).digest("hex").slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params as unknown[] };
}

/** How long signals to other processes gather before one NOTIFY per channel carries them. */
const NOTIFY_WINDOW_MILLIS = 5;

/**
 * Signals raised after a commit: listeners in this process hear them at once; other processes
 * through NOTIFY, sent once per channel for all raised within a few milliseconds. That keeps
 * NOTIFY off every write's round trip (a busy queue raises thousands a second) at the price of
 * a few milliseconds of cross-process wake-up latency.
 */
function coalescedSignals(pool: pg.Pool, notifyChannel: string, emitter: EventEmitter, origin: string) {
  const waiting = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    timer = undefined;
    const messages = [...waiting];
    waiting.clear();
    for (const message of messages) {
      await pool.query("SELECT pg_notify($1, $2)", [notifyChannel, message]).catch(() => undefined);
    }
  };
  return {
    raise(channel: string, payload: string) {
      emitter.emit(channel, payload);
      waiting.add(`${origin}\n${channel}\n${payload}`);
      timer ??= setTimeout(() => void flush(), NOTIFY_WINDOW_MILLIS);
    },
    async flush() {
      clearTimeout(timer);
      await flush();
    },
  };
}

/** A dedicated connection for LISTEN that reconnects when it drops. */
async function startListener(url: string, channel: string, emitter: EventEmitter, origin: string) {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      const [from = "", name = "", ...rest] = (message.payload ?? "").split("\n");
      if (from !== origin) emitter.emit(name, rest.join("\n"));
    });
    next.on("error", () => {
      next.end().catch(() => undefined);
      if (!stopped) retry = setTimeout(() => connect().catch(() => undefined), 1000);
    });
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    if (stopped) await next.end();
    else client = next;
  };
  await connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    for (const migration of loadMigrations("postgres")) {
      // One transaction per migration, serialized across processes by an advisory lock held
      // until commit; a process that waited finds the migration applied and skips it.
      await client.query("BEGIN");
      try {
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`inflow-migrate:${schema}`]);
        await client.query(
          "CREATE TABLE IF NOT EXISTS inflow_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        );
        const applied = await client.query("SELECT 1 FROM inflow_migrations WHERE id = $1", [migration.id]);
        if (applied.rowCount === 0) {
          await client.query(migration.sql);
          await client.query("INSERT INTO inflow_migrations (id, name, applied_at) VALUES ($1, $2, $3)", [
            migration.id,
            migration.name,
            Date.now(),
          ]);
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(
          `Migration ${migration.id} (${migration.name}) failed on PostgreSQL schema ${schema}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  } finally {
    client.release();
  }
}

function redact(url: string, schema: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.username = parsed.username ? parsed.username : "";
    return `${parsed.toString()}#${schema}`;
  } catch {
    return `postgres#${schema}`;
  }
}
