import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { MigrationError, StoreError } from "./errors.js";
import { loadMigrations } from "./migrations.js";
import { startCheckpoints } from "./sqlite-checkpoints.js";
import { createGroupCommit } from "./sqlite-group-commit.js";
import type { RunResult, SqlValue, Store } from "./types.js";

type Statement = Database.Statement<unknown[]>;

/**
 * SQLite through better-sqlite3, in WAL mode. better-sqlite3 is synchronous, so a transaction
 * whose body awaits must not let other work of this process slip onto the same connection:
 * transactions and standalone statements take turns through one in-process lock, and the
 * transactions that wait for their turn share one COMMIT (sqlite-group-commit.ts). Other
 * processes on the same file wait on SQLite's own lock (busy_timeout).
 *
 * synchronous=NORMAL in WAL survives any process crash (SIGKILL included) without losing a
 * commit; only a power loss can drop the last transactions. Set INFLOW_SQLITE_SYNC=FULL for that.
 */
export function openSqlite(dataDir: string): Store {
  const dir = resolve(dataDir);
  const file = join(dir, "inflow.db");
  let db: Database.Database;
  try {
    mkdirSync(dir, { recursive: true });
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${process.env.INFLOW_SQLITE_SYNC === "FULL" ? "FULL" : "NORMAL"}`);
    db.pragma("busy_timeout = 10000");
    // A restarted WAL is cut back to this size, so one burst of writes does not keep its disk space.
    db.pragma("journal_size_limit = 67108864");
    db.pragma("foreign_keys = ON");
  } catch (error) {
    throw new StoreError(`Cannot open the SQLite database ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql) as Statement;
      statements.set(sql, statement);
    }
    return statement;
  };
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);

  const bind = (params: readonly SqlValue[] | undefined): [Record<string, unknown>] | [] => {
    if (!params || params.length === 0) return [];
    const named: Record<string, unknown> = {};
    params.forEach((value, index) => {
      named[index + 1] = value === undefined ? null : typeof value === "boolean" ? Number(value) : value;
    });
    return [named];
  };

  const querySync = <Row>(sql: string, params?: readonly SqlValue[]): Row[] => {
    const statement = prepare(sql);
    if (statement.reader) return statement.all(...bind(params)) as Row[];
    statement.run(...bind(params));
    return [];
  };
  const runSync = (sql: string, params?: readonly SqlValue[]): RunResult => {
    const statement = prepare(sql);
    if (statement.reader) return { changes: statement.all(...bind(params)).length };
    return { changes: statement.run(...bind(params)).changes };
  };
  /** A statement outside a transaction commits on its own when it writes. */
  const autocommitted = (sql: string) => {
    if (!prepare(sql).readonly) checkpoints.committed();
  };

  // The in-process turn: a promise chain that each transaction extends while it runs.
  let turn: Promise<void> = Promise.resolve();
  let busy = false;
  const withTurn = async <T>(work: () => Promise<T> | T): Promise<T> => {
    const previous = turn;
    let release!: () => void;
    turn = new Promise((done) => {
      release = done;
    });
    await previous;
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
      release();
    }
  };

  const emit = (channel: string, payload = "") => emitter.emit(channel, payload);
  const transaction = createGroupCommit(db, {
    withTurn,
    queryable: (signals) => ({
      dialect: "sqlite",
      query: async (sql, params) => querySync(sql, params),
      run: async (sql, params) => runSync(sql, params),
      signal: (channel, payload) => {
        signals.push([channel, payload]);
      },
    }),
    committed(signals) {
      checkpoints.committed();
      for (const [channel, payload] of signals) emit(channel, payload);
    },
  });

  const store: Store = {
    dialect: "sqlite",
    location: file,
    async query<Row>(sql: string, params?: readonly SqlValue[]) {
      const rows = busy ? await withTurn(() => querySync<Row>(sql, params)) : querySync<Row>(sql, params);
      autocommitted(sql);
      return rows;
    },
    async run(sql, params) {
      const result = busy ? await withTurn(() => runSync(sql, params)) : runSync(sql, params);
      autocommitted(sql);
      return result;
    },
    signal(channel, payload) {
      emit(channel, payload);
    },
    transaction(work) {
      return transaction(work);
    },
    listen(channel, listener) {
      emitter.on(channel, listener);
      return () => emitter.off(channel, listener);
    },
    async close() {
      await withTurn(() => undefined);
      await checkpoints.close();
      statements.clear();
      db.close();
    },
  };

  migrate(db);
  db.pragma("wal_autocheckpoint = 0");
  const checkpoints = startCheckpoints(file, () => db.pragma("wal_autocheckpoint = 1000"));
  return store;
}

function migrate(db: Database.Database): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS inflow_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  for (const migration of loadMigrations("sqlite")) {
    // Each migration in its own write transaction; a second process starting at the same time
    // waits on the lock, then finds the migration applied and skips it.
    db.exec("BEGIN IMMEDIATE");
    try {
      const applied = db.prepare("SELECT 1 FROM inflow_migrations WHERE id = ?").get(migration.id);
      if (!applied) {
        db.exec(migration.sql);
        db.prepare("INSERT INTO inflow_migrations (id, name, applied_at) VALUES (?, ?, ?)").run(
          migration.id,
          migration.name,
          Date.now(),
        );
      }
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw new MigrationError(
        `Migration ${migration.id} (${migration.name}) failed on SQLite: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
