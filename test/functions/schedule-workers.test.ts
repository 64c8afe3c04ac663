import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../support/backends.js";
import { type Spawned, spawnTs } from "../support/processes.js";

const FIXTURE = "test/functions/fixtures/schedule-worker.ts";
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe("a schedule shared by two worker processes on postgres", () => {
  const database = createTestDatabase("postgres");
  const running = new Set<Spawned>();
  afterAll(async () => {
    for (const worker of running) worker.child.kill("SIGKILL");
    await database.drop();
  });

  const start = async () => {
    const worker = spawnTs(FIXTURE, [database.args[1]!, "rate(1 second)"]);
    running.add(worker);
    await worker.waitForLine((line) => line === "ready", 20_000);
    return worker;
  };
  const stop = async (worker: Spawned) => {
    worker.child.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
    running.delete(worker);
  };

  it("fires each period exactly once, also across restarts, and a missed stretch once", async () => {
    const all: Spawned[] = [];
    const [a, b] = await Promise.all([start(), start()]);
    all.push(a, b);
    await sleep(3000);
    await stop(a); // b goes on alone
    await sleep(2000);
    await stop(b);
    await sleep(3500); // nobody runs: about three periods missed
    const downUntil = Date.now();
    const [c, d] = await Promise.all([start(), start()]);
    all.push(c, d);
    await sleep(3000);
    await Promise.all([stop(c), stop(d)]);

    const fired = all.flatMap((worker) =>
      worker.lines.filter((line) => line.startsWith("fired ")).map((line) => line.split(" ")),
    );
    const periods = fired.map(([, at]) => Date.parse(at!)).sort((x, y) => x - y);
    // No period twice.
    expect(new Set(periods).size).toBe(periods.length);
    // One period after another, second by second, but for one jump over the downtime...
    const gaps = periods.slice(1).map((period, i) => period - periods[i]!);
    expect(gaps.filter((gap) => gap !== 1000)).toHaveLength(1);
    // ...right after the one firing, by a restarted worker, for the periods missed while none ran.
    const jump = gaps.findIndex((gap) => gap !== 1000);
    expect(gaps[jump]).toBeGreaterThanOrEqual(3000);
    const catchUp = new Date(periods[jump]!).toISOString().replace(/\.\d{3}Z$/, "Z");
    const restarted = new Set([c, d].map((worker) => String(worker.child.pid)));
    expect(fired.filter(([, at]) => at === catchUp).map(([, , pid]) => restarted.has(pid!))).toEqual([true]);
    expect(periods[jump]!).toBeLessThan(downUntil);
    expect(periods.length).toBeGreaterThanOrEqual(8);
    // Both workers of a pair took firings (SKIP LOCKED lets whichever wakes first claim a period).
    expect(new Set(fired.map(([, , pid]) => pid)).size).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
