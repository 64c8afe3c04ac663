/**
 * Counts the SQL statements (and transactions) a process sends to its database, for the profile
 * part of the report: how many statements, and which, one execution of a scenario costs.
 *
 * SQLite: better-sqlite3's Statement methods and Database#exec are wrapped (the store prepares
 * each text once and caches it, so the wrapping goes on the shared Statement prototype); the
 * time of each statement is taken too. PostgreSQL: every `pg` client's `query` is wrapped (as the
 * queue benchmark does); its time is not, since `pg` answers asynchronously. Both patches stay for
 * the life of the process: the statement count is the last thing a measuring process does.
 */
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { countStatements } from "../queues/common.js";

export interface StatementTally {
  /** Statements (BEGIN and COMMIT included) by normalized text: count, and milliseconds on SQLite. */
  texts: Map<string, { count: number; millis: number }>;
  /** SQLite: the duration of every COMMIT, in milliseconds (a WAL checkpoint runs inside some). */
  commits: number[];
}

const normalize = (sql: string) => sql.replace(/\s+/g, " ").trim().slice(0, 140);

export function tallySqlite(): StatementTally {
  const texts = new Map<string, { count: number; millis: number }>();
  const commits: number[] = [];
  const add = (sql: string, millis: number) => {
    if (sql === "COMMIT") commits.push(millis);
    const key = normalize(sql);
    const entry = texts.get(key) ?? { count: 0, millis: 0 };
    entry.count += 1;
    entry.millis += millis;
    texts.set(key, entry);
  };
  const probe = new Database(":memory:");
  const statementProto = Object.getPrototypeOf(probe.prepare("SELECT 1")) as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  probe.close();
  for (const method of ["run", "all", "get"]) {
    const original = statementProto[method]!;
    statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
      const start = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        add(this.source, performance.now() - start);
      }
    };
  }
  const databaseProto = Database.prototype as unknown as { exec: (sql: string) => unknown };
  const exec = databaseProto.exec;
  databaseProto.exec = function (this: unknown, sql: string) {
    const start = performance.now();
    try {
      return exec.call(this, sql);
    } finally {
      add(sql, performance.now() - start);
    }
  };
  return { texts, commits };
}

export function tallyPostgres(): StatementTally {
  const counter = countStatements();
  return {
    commits: [],
    get texts() {
      return new Map([...counter.texts()].map(([text, count]) => [text, { count, millis: Number.NaN }]));
    },
  };
}

/** The difference between two snapshots of a tally's texts. */
export function tallySince(
  before: Map<string, { count: number; millis: number }>,
  after: Map<string, { count: number; millis: number }>,
): Map<string, { count: number; millis: number }> {
  const result = new Map<string, { count: number; millis: number }>();
  for (const [text, entry] of after) {
    const earlier = before.get(text) ?? { count: 0, millis: 0 };
    const count = entry.count - earlier.count;
    if (count > 0) result.set(text, { count, millis: entry.millis - earlier.millis });
  }
  return result;
}

export function snapshot(
  texts: Map<string, { count: number; millis: number }>,
): Map<string, { count: number; millis: number }> {
  return new Map([...texts].map(([text, entry]) => [text, { ...entry }]));
}
