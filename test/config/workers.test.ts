import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createMappings } from "../../src/functions/mappings.js";
import { createFunctions } from "../../src/functions/registry.js";
import { createQueues } from "../../src/queues/service.js";
import { createTestDatabase } from "../support/backends.js";
import { type Spawned, spawnTs } from "../support/processes.js";

const CONFIG = fileURLToPath(new URL("./fixtures/workers/inflow.yaml", import.meta.url));

describe("two inflow worker --config processes on postgres", () => {
  const database = createTestDatabase("postgres");
  const workers: Spawned[] = [];
  afterAll(async () => {
    for (const worker of workers) worker.child.kill("SIGKILL");
    await database.drop();
  });

  it("apply the same file at once and share its mapping, each message handled once", async () => {
    for (let i = 0; i < 2; i++) {
      workers.push(spawnTs("src/cli/main.ts", ["worker", ...database.args, "--config", CONFIG]));
    }
    await Promise.all(
      workers.map((worker) => worker.waitForLine((line) => line.startsWith("Inflow worker running"), 20_000)),
    );

    for (const worker of workers) {
      await worker.waitForLine((line) => line.startsWith("Resources from "));
      expect(worker.lines).toContain(
        `Resources from ${CONFIG}: 1 queue, 0 state machines, 1 function, 1 event-source mapping, 0 schedules`,
      );
    }
    const store = await database.open();
    const queues = createQueues(store);
    try {
      expect(
        (await createMappings(store, queues, createFunctions()).list()).filter((m) => m.declared),
      ).toHaveLength(1);
      for (let i = 0; i < 60; i += 10) {
        await queues.sendMessageBatch(
          "work",
          Array.from({ length: 10 }, (_, j) => ({ id: String(j), body: `m${i + j}` })),
        );
      }
      const handled = () =>
        workers.flatMap((worker) => worker.lines.filter((line) => line.startsWith("handled ")));
      const deadline = Date.now() + 15_000;
      while (handled().length < 60 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const bodies = handled().map((line) => line.split(" ")[1]);
      expect(bodies.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`).sort());
    } finally {
      await queues.close();
      await store.close();
    }
    for (const worker of workers) worker.child.kill("SIGTERM");
    for (const worker of workers) expect((await worker.exited).code).toBe(0);
  }, 60_000);
});
