import { randomInt } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/backends.js";
import { spawnTs } from "../support/processes.js";

const CLIENT = "test/queues/fixtures/queue-client.ts";
const KILLS = 6;

const logs = mkdtempSync(join(tmpdir(), "inflow-durability-"));
let logCount = 0;
const newLog = () => join(logs, `client-${logCount++}.log`);
afterAll(() => rmSync(logs, { recursive: true, force: true }));
const linesOf = (log: string) => readFileSync(log, "utf8").split("\n");

function collect(lines: string[], kind: string, into: Set<string>) {
  for (const line of lines) if (line.startsWith(`${kind} `)) into.add(line.slice(2));
}

/** Drains the queue from fresh processes and returns every body received, with repeats. */
async function drain(database: TestDatabase, queue: string, processes: number): Promise<string[]> {
  const clients = Array.from({ length: processes }, () => {
    const log = newLog();
    return { log, process: spawnTs(CLIENT, ["drain", queue, JSON.stringify(database.options), log]) };
  });
  const results = await Promise.all(clients.map((client) => client.process.exited));
  for (const [index, result] of results.entries()) {
    expect(result.code, clients[index]!.process.stderr()).toBe(0);
  }
  return clients.flatMap((client) =>
    linesOf(client.log)
      .filter((line) => line.startsWith("R "))
      .map((line) => line.slice(2)),
  );
}

describe.each(BACKENDS)("queue durability on %s", (dialect) => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  it("loses no acknowledged send and resurrects no deleted message across repeated SIGKILLs", async () => {
    const database = createTestDatabase(dialect);
    databases.push(database);
    const sent = new Set<string>();
    const received = new Set<string>();
    const deleted = new Set<string>();
    for (let round = 0; round < KILLS; round++) {
      const log = newLog();
      const client = spawnTs(CLIENT, ["churn", "crash", JSON.stringify(database.options), log, `r${round}`]);
      await client.waitForLine((line) => line === "READY");
      await new Promise((resolve) => setTimeout(resolve, randomInt(150, 900)));
      client.child.kill("SIGKILL");
      const { signal } = await client.exited;
      expect(signal).toBe("SIGKILL");
      const lines = linesOf(log);
      collect(lines, "S", sent);
      collect(lines, "R", received);
      collect(lines, "D", deleted);
    }
    expect(sent.size).toBeGreaterThan(0);
    expect(deleted.size).toBeGreaterThan(0);

    // Messages the killed clients held in flight come back after their 1-second visibility timeout.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const remaining = await drain(database, "crash", 1);
    const left = new Set(remaining);

    const lost = [...sent].filter((body) => !received.has(body) && !left.has(body));
    const resurrected = remaining.filter((body) => deleted.has(body));
    expect(lost).toEqual([]);
    expect(resurrected).toEqual([]);
    expect(remaining.length).toBe(left.size);
  }, 120_000);

  it("never hands one message to two receiving processes within its visibility timeout", async () => {
    const database = createTestDatabase(dialect);
    databases.push(database);
    const store = await database.open();
    const { createQueues } = await import("../../src/queues/service.js");
    const queues = createQueues(store);
    await queues.createQueue("shared", { VisibilityTimeout: "1" });
    const total = 1500;
    for (let start = 0; start < total; start += 10) {
      await queues.sendMessageBatch(
        "shared",
        Array.from({ length: 10 }, (_, index) => ({ id: `e${index}`, body: `m-${start + index}` })),
      );
    }
    await queues.close();
    await store.close();

    const bodies = await drain(database, "shared", 4);
    const counts = new Map<string, number>();
    for (const body of bodies) counts.set(body, (counts.get(body) ?? 0) + 1);
    const twice = [...counts].filter(([, count]) => count > 1);
    expect(twice).toEqual([]);
    expect(counts.size).toBe(total);
  }, 120_000);
});
