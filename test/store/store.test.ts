import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/store/migrations.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

describe("migrations", () => {
  it("carry the same numbers and names on both dialects", () => {
    const names = (dialect: "sqlite" | "postgres") => loadMigrations(dialect).map((m) => `${m.id}_${m.name}`);
    expect(names("sqlite").length).toBeGreaterThan(0);
    expect(names("postgres")).toEqual(names("sqlite"));
  });
});

describe.each(BACKENDS)("store on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;

  beforeAll(async () => {
    store = await database.open();
    await store.run("CREATE TABLE t_items (id BIGINT PRIMARY KEY, label TEXT NOT NULL, amount BIGINT)");
  });
  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  it("applies every migration exactly once, also when opened again concurrently", async () => {
    const [a, b] = await Promise.all([database.open(), database.open()]);
    const rows = await a.query<{ id: number }>("SELECT id FROM inflow_migrations ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual(loadMigrations(dialect).map((m) => m.id));
    await Promise.all([a.close(), b.close()]);
  });

  it("binds $n placeholders by number, reused and out of order", async () => {
    await store.run("INSERT INTO t_items (id, label, amount) VALUES ($2, $1, $2)", ["first", 7]);
    const rows = await store.query<{ id: number; label: string; amount: number }>(
      "SELECT id, label, amount FROM t_items WHERE id = $1 AND label = $2",
      [7, "first"],
    );
    expect(rows).toEqual([{ id: 7, label: "first", amount: 7 }]);
  });

  it("returns BIGINT values as numbers", async () => {
    const big = 1_764_000_000_123;
    await store.run("INSERT INTO t_items (id, label, amount) VALUES ($1, $2, $3)", [8, "big", big]);
    const [row] = await store.query<{ amount: number }>("SELECT amount FROM t_items WHERE id = $1", [8]);
    expect(row?.amount).toBe(big);
  });

  it("commits a transaction as a whole and rolls it back as a whole", async () => {
    await store.transaction(async (tx) => {
      await tx.run("INSERT INTO t_items (id, label) VALUES ($1, $2)", [10, "a"]);
      await tx.run("INSERT INTO t_items (id, label) VALUES ($1, $2)", [11, "b"]);
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.run("INSERT INTO t_items (id, label) VALUES ($1, $2)", [12, "c"]);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const rows = await store.query<{ id: number }>("SELECT id FROM t_items WHERE id >= 10 ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual([10, 11]);
  });

  it("keeps concurrent transactions apart", async () => {
    await store.run("INSERT INTO t_items (id, label, amount) VALUES (20, 'counter', 0)");
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.transaction(async (tx) => {
          const [row] = await tx.query<{ amount: number }>(
            dialect === "postgres"
              ? "SELECT amount FROM t_items WHERE id = 20 FOR UPDATE"
              : "SELECT amount FROM t_items WHERE id = 20",
          );
          await new Promise((resolve) => setTimeout(resolve, 1));
          await tx.run("UPDATE t_items SET amount = $1 WHERE id = 20", [row!.amount + 1]);
        }),
      ),
    );
    const [row] = await store.query<{ amount: number }>("SELECT amount FROM t_items WHERE id = 20");
    expect(row?.amount).toBe(20);
  });

  it("delivers signals only after commit, and not at all after rollback", async () => {
    const heard: string[] = [];
    const stop = store.listen("test-channel", (payload) => heard.push(payload));
    let heardBeforeCommit = -1;
    await store.transaction(async (tx) => {
      tx.signal("test-channel", "committed");
      await new Promise((resolve) => setTimeout(resolve, 50));
      heardBeforeCommit = heard.length;
    });
    await store
      .transaction(async (tx) => {
        tx.signal("test-channel", "rolled-back");
        throw new Error("no");
      })
      .catch(() => undefined);
    await expect.poll(() => heard, { timeout: 2000 }).toContain("committed");
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    expect(heardBeforeCommit).toBe(0);
    expect(heard).toEqual(["committed"]);
  });
});

describe("SQLite checkpoints", () => {
  const database = createTestDatabase("sqlite");
  afterAll(() => database.drop());

  it("copies committed pages into the database file from their own thread, not inside COMMIT", async () => {
    const store = await database.open();
    const file = store.location;
    await store.run("CREATE TABLE t_pages (id INTEGER PRIMARY KEY, data TEXT NOT NULL)");
    const before = statSync(file).size;
    const page = "x".repeat(4000);
    for (let id = 0; id < 300; id++) {
      await store.transaction((tx) => tx.run("INSERT INTO t_pages (id, data) VALUES ($1, $2)", [id, page]));
    }
    // The main connection never checkpoints by itself (wal_autocheckpoint = 0), so only the
    // checkpoint thread can have grown the database file while the store stays open.
    const [setting] = await store.query<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint");
    expect(setting?.wal_autocheckpoint).toBe(0);
    const deadline = Date.now() + 5000;
    while (statSync(file).size < before + 300 * 4000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(statSync(file).size).toBeGreaterThanOrEqual(before + 300 * 4000);
    await store.close();
  });
});

describe("SQLite group commit", () => {
  const database = createTestDatabase("sqlite");
  afterAll(() => database.drop());

  it("commits waiting transactions together, each rolled back alone when it fails", async () => {
    const store = await database.open();
    const other = await database.open();
    await store.run("CREATE TABLE t_group (id INTEGER PRIMARY KEY, label TEXT NOT NULL)");
    const heard: string[] = [];
    const stop = store.listen("t_group", (payload) => heard.push(payload));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, id) =>
        store.transaction(async (tx) => {
          await tx.run("INSERT INTO t_group (id, label) VALUES ($1, $2)", [id, `row ${id}`]);
          tx.signal("t_group", String(id));
          await new Promise((resolve) => setImmediate(resolve));
          if (id === 7) throw new Error("seven fails");
          // A constraint broken by one transaction fails that one only.
          if (id === 12) await tx.run("INSERT INTO t_group (id, label) VALUES (3, 'again')");
          // When a caller hears back, its rows are committed: another connection sees them.
          return id;
        }),
      ),
    );
    const failed = outcomes.flatMap((outcome, id) => (outcome.status === "rejected" ? [id] : []));
    expect(failed).toEqual([7, 12]);
    const rows = await other.query<{ id: number }>("SELECT id FROM t_group ORDER BY id");
    expect(rows.map((row) => row.id)).toEqual(
      Array.from({ length: 20 }, (_, id) => id).filter((id) => id !== 7 && id !== 12),
    );
    expect(heard.sort((a, b) => Number(a) - Number(b))).toEqual(rows.map((row) => String(row.id)));
    stop();
    await other.close();
    await store.close();
  });

  it("answers each caller only after its transaction is visible to other connections", async () => {
    const store = await database.open();
    const other = await database.open();
    await store.run("CREATE TABLE t_visible (id INTEGER PRIMARY KEY)");
    const seen = await Promise.all(
      Array.from({ length: 10 }, async (_, id) => {
        await store.transaction((tx) => tx.run("INSERT INTO t_visible (id) VALUES ($1)", [id]));
        const [row] = await other.query<{ n: number }>("SELECT COUNT(*) AS n FROM t_visible WHERE id = $1", [
          id,
        ]);
        return Number(row?.n);
      }),
    );
    expect(seen).toEqual(Array.from({ length: 10 }, () => 1));
    await other.close();
    await store.close();
  });
});
