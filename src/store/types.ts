/**
 * Storage: one database handle over SQLite (embedded default) or PostgreSQL (many machines).
 *
 * Glossary
 * - Store: an open database with its migrations applied; owns the connection(s).
 * - Queryable: anything that runs SQL, the store itself or a transaction in progress.
 * - Dialect: which engine runs the SQL. Statements are written once with `$1..$n`
 *   placeholders; the few that must differ (row locking, array parameters) are chosen per dialect.
 * - Signal: a wake-up on a named channel (a queue got a message). In-process on SQLite,
 *   LISTEN/NOTIFY on PostgreSQL; delivered only after the transaction that raised it commits.
 */

export type Dialect = "sqlite" | "postgres";

export type SqlValue = string | number | bigint | boolean | null | Buffer | undefined;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface Queryable {
  readonly dialect: Dialect;
  /** Runs a statement and returns its rows (those of `RETURNING` too). */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement for its effect. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /** Raises `channel` once this unit of work commits (at once outside a transaction). */
  signal(channel: string, payload?: string): void;
}

export interface Store extends Queryable {
  /** Where the data lives, without credentials: a file path or `postgres://host/db#schema`. */
  readonly location: string;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * On SQLite the transaction takes the write lock up front (BEGIN IMMEDIATE), so two writers
   * never deadlock on an upgrade; on PostgreSQL it runs at READ COMMITTED on one pooled client.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Calls `listener` for every signal on `channel`, from this process or (PostgreSQL) any other. */
  listen(channel: string, listener: (payload: string) => void): () => void;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** SQLite: the directory that holds `inflow.db`. */
  dataDir?: string;
  /** PostgreSQL connection URL; wins over `dataDir`. */
  databaseUrl?: string;
  /** PostgreSQL schema to live in (created when missing); default `public`. */
  schema?: string;
  /** Connections in the PostgreSQL pool; default 10. */
  poolSize?: number;
}
