import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { writeJson } from "../../src/formats/samples.js";
import { openTransport } from "../../src/ingest/open-transport.js";
import { MAX_POLLS_AT_ONCE, startSourceScheduler } from "../../src/ingest/scheduler.js";
import { addSource, getSource } from "../../src/ingest/sources.js";
import { listContainers } from "../../src/invoices/containers.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe.each(BACKENDS)("scheduled source polls on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  const drop = mkdtempSync(join(tmpdir(), "inflow-drop-"));
  let server: RunningServer;

  beforeAll(async () => {
    const storage =
      dialect === "sqlite"
        ? { data: database.options.dataDir! }
        : { data: ".inflow", database: database.args[1]! };
    server = await startServer({ ...storage, host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await database.drop();
    rmSync(drop, { recursive: true, force: true });
  });

  it("polls a due source on its schedule, and its file reaches Done", async () => {
    writeFileSync(
      join(drop, "a.json"),
      [...writeJson({ seed: 3, invoices: 2, minLines: 1, maxLines: 2 })].join(""),
    );
    await addSource(server.store, {
      tenantId: "default",
      name: "drop",
      kind: "folder",
      settings: { path: drop },
      schedule: "rate(1 hour)",
    });
    let done: Awaited<ReturnType<typeof listContainers>>["items"] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
      done = (await listContainers(server.store, { tenantId: "default", limit: 10 })).items;
      if (done.length > 0 && done.every((c) => c.state === "Done")) break;
    }
    expect(done.map((c) => [c.name, c.state, c.createdCount])).toEqual([["a.json", "Done", 2]]);
    const source = await getSource(server.store, "default", "drop");
    expect(source.lastPollAt).toEqual(expect.any(Number));
    expect(source.filesTaken).toBe(1);
  }, 40_000);

  it("polls a due source once per period however many schedulers look", async () => {
    // Three schedulers, as three processes would run, two hours on: the next period is due for
    // them (not yet for the server's own), and each counts the polls it makes.
    let polls = 0;
    const later = () => Date.now() + 2 * 3_600_000;
    const schedulers = [1, 2, 3].map(() =>
      startSourceScheduler({
        store: server.store,
        pipeline: server.pipeline,
        now: later,
        transportFor: (source) => {
          polls += 1;
          return openTransport(source);
        },
        onError: (error) => {
          throw error;
        },
      }),
    );
    try {
      // Each looks at once, then every 5 s: by now all have looked at least once.
      await sleep(6_000);
      expect(polls).toBe(1);
      const [row] = await server.store.query<{ next_poll_at: number }>(
        "SELECT next_poll_at FROM sources WHERE name = 'drop'",
      );
      expect(Number(row!.next_poll_at)).toBeGreaterThan(later());
    } finally {
      await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
    }
  }, 30_000);

  it(`runs at most ${MAX_POLLS_AT_ONCE} polls at once; the rest stay due for the next look`, async () => {
    const count = MAX_POLLS_AT_ONCE + 3;
    for (let i = 0; i < count; i++) {
      await addSource(server.store, {
        tenantId: "default",
        name: `slow-${i}`,
        kind: "folder",
        settings: { path: drop, pattern: "nothing-matches" },
        schedule: "rate(1 hour)",
      });
    }
    let running = 0;
    let mostAtOnce = 0;
    const started = new Set<string>();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A scheduler two hours on, so these sources are due for it and not for the server's own.
    const scheduler = startSourceScheduler({
      ...server,
      now: () => Date.now() + 2 * 3_600_000,
      transportFor: async (source) => {
        if (!source.name.startsWith("slow-")) return openTransport(source);
        started.add(source.name);
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await gate;
        running--;
        return openTransport(source);
      },
      onError: (error) => {
        throw error;
      },
    });
    try {
      await sleep(1_000);
      expect(mostAtOnce).toBe(MAX_POLLS_AT_ONCE);
      release();
      // The next look, 5 s on, takes the ones left over.
      for (const deadline = Date.now() + 15_000; started.size < count && Date.now() < deadline; ) {
        await sleep(200);
      }
      expect(started.size).toBe(count);
    } finally {
      release();
      await scheduler.stop();
    }
  }, 30_000);
});
