import type Database from "better-sqlite3";
import type { Queryable } from "./types.js";

/** Transactions one COMMIT may carry: enough to share its cost, few enough to keep latency low. */
const MAX_PER_COMMIT = 64;

type Signals = Array<[string, string | undefined]>;

interface Waiting {
  work: (tx: Queryable) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitHooks {
  /** Runs `work` when no other statement of this process is using the connection. */
  withTurn<T>(work: () => Promise<T>): Promise<T>;
  /** A Queryable for one transaction, collecting its signals. */
  queryable(signals: Signals): Queryable;
  /** After each COMMIT: the transactions it carried are durable. */
  committed(signals: Signals): void;
}

/**
 * Group commit. On SQLite the COMMIT (writing the transaction's pages to the WAL) costs more than
 * most transactions' statements, and transactions of one process run one after another anyway.
 * Those that wait while one runs are run together inside one BEGIN ... COMMIT, each in a
 * savepoint of its own: one that fails rolls back alone and rejects alone, the others commit
 * together, and each caller hears of its result only once the COMMIT is done. Run one after
 * another, they see what they would have seen run in turn.
 */
export function createGroupCommit(db: Database.Database, hooks: GroupCommitHooks) {
  const waiting: Waiting[] = [];
  let scheduled = false;
  // Prepared once: exec() would parse these on every transaction.
  const control = (sql: string) => {
    const statement = db.prepare(sql);
    return () => statement.run();
  };
  const begin = control("BEGIN IMMEDIATE");
  const savepoint = control("SAVEPOINT inflow_tx");
  const release = control("RELEASE inflow_tx");
  const rollbackToSavepoint = control("ROLLBACK TO inflow_tx");
  const commit = control("COMMIT");

  const runBatch = async () => {
    const done: Array<{ item: Waiting; result: unknown; signals: Signals }> = [];
    try {
      begin();
    } catch (error) {
      // The write lock stayed with another process past busy_timeout: these callers hear of it.
      for (const item of waiting.splice(0, MAX_PER_COMMIT)) item.reject(error);
      return;
    }
    for (let count = 0; count < MAX_PER_COMMIT && waiting.length > 0; count++) {
      const item = waiting.shift()!;
      const signals: Signals = [];
      savepoint();
      try {
        const result = await item.work(hooks.queryable(signals));
        release();
        done.push({ item, result, signals });
      } catch (error) {
        if (db.inTransaction) {
          rollbackToSavepoint();
          release();
        } else {
          // SQLite gave up the whole transaction (an I/O error, a full disk): the batch is lost.
          for (const lost of done.splice(0)) lost.item.reject(error);
          begin();
        }
        item.reject(error);
      }
    }
    try {
      commit();
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      for (const lost of done) lost.item.reject(error);
      return;
    }
    // Callers resume only in later microtasks, so the signals still go out before they go on.
    for (const { item, result } of done) item.resolve(result);
    hooks.committed(done.flatMap((entry) => entry.signals));
  };

  const drain = async (): Promise<void> => {
    try {
      while (waiting.length > 0) await hooks.withTurn(runBatch);
    } finally {
      // Even if a batch threw past its callers (a signal listener), later transactions still run.
      scheduled = waiting.length > 0;
      if (scheduled) void drain();
    }
  };

  return <T>(work: (tx: Queryable) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!scheduled) {
        scheduled = true;
        void drain();
      }
    });
}
