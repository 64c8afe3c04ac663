import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore } from "../../src/store/open.js";
import type { Dialect, Store } from "../../src/store/types.js";

export const TEST_DATABASE_URL =
  process.env.INFLOW_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Both backends; every storage-backed suite runs once per entry. */
export const BACKENDS: readonly Dialect[] = Object.freeze(["sqlite", "postgres"] as const);

export interface TestDatabase {
  dialect: Dialect;
  /** Options that open this same database again (from another store or process). */
  options: { dataDir?: string; databaseUrl?: string; schema?: string };
  /** Command-line flags that select this database for `inflow` child processes. */
  args: string[];
  open(): Promise<Store>;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file: a temporary directory on SQLite, a schema of its
 * own on PostgreSQL (so files run in parallel without seeing each other).
 */
export function createTestDatabase(dialect: Dialect): TestDatabase {
  if (dialect === "sqlite") {
    const dataDir = mkdtempSync(join(tmpdir(), "inflow-test-"));
    return {
      dialect,
      options: { dataDir },
      args: ["--data", dataDir],
      open: () => openStore({ dataDir }),
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const databaseUrl = withSchema(TEST_DATABASE_URL, schema);
  return {
    dialect,
    options: { databaseUrl: TEST_DATABASE_URL, schema },
    args: ["--database", databaseUrl],
    open: () => openStore({ databaseUrl: TEST_DATABASE_URL, schema }),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** `inflow --database` takes the schema as a `schema` query parameter. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.toString();
}
