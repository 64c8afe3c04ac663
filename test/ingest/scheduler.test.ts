import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { writeJson } from "../../src/formats/samples.js";
import { openTransport } from "../../src/ingest/open-transport.js";
import { startSourceScheduler } from "../../src/ingest/scheduler.js";
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
});
