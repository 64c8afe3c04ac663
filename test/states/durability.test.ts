import { randomInt } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createQueues } from "../../src/queues/service.js";
import { createStates } from "../../src/states/engine.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/backends.js";
import { spawnTs } from "../support/processes.js";

const EXECUTIONS = 200;
const KILLS = 4;
const TOKEN_QUEUE = "crash-tokens";

/** Start -> Wait -> Map over three items, each asking for a task token -> Summary. */
const definition = {
  StartAt: "Start",
  States: {
    Start: {
      Type: "Pass",
      Parameters: { "n.$": "$.n", "items.$": "States.ArrayRange($.n, States.MathAdd($.n, 2), 1)" },
      Next: "Pause",
    },
    Pause: { Type: "Wait", Seconds: 1, Next: "Each" },
    Each: {
      Type: "Map",
      ItemsPath: "$.items",
      MaxConcurrency: 2,
      ItemProcessor: {
        StartAt: "Prepare",
        States: {
          Prepare: { Type: "Pass", Parameters: { "item.$": "$" }, Next: "Ask" },
          Ask: {
            Type: "Task",
            Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            Parameters: {
              QueueUrl: `http://localhost/000000000000/${TOKEN_QUEUE}`,
              MessageBody: { "token.$": "$$.Task.Token", "item.$": "$.item" },
            },
            End: true,
          },
        },
      },
      ResultPath: "$.results",
      Next: "Summary",
    },
    Summary: { Type: "Pass", Parameters: { "n.$": "$.n", "results.$": "$.results" }, End: true },
  },
};

const expectedOutput = (n: number) => ({
  n,
  results: [n, n + 1, n + 2].map((item) => ({ doubled: item * 2 })),
});

/** Every state entered once per execution, and once per Map iteration inside the Map. */
const EXPECTED_ENTRIES: Record<string, number> = {
  Start: 1,
  Pause: 1,
  Each: 1,
  Prepare: 3,
  Ask: 3,
  Summary: 1,
};

type Opened = Awaited<ReturnType<typeof openEngine>>;

/** Opens the database, starts `executions` executions and answers their task tokens until closed. */
async function openEngine(database: TestDatabase, executions: number) {
  const store = await database.open();
  const queues = createQueues(store);
  // This process starts executions and answers tokens; only `inflow serve` or `inflow worker` runs steps.
  const states = createStates(store, queues);
  await queues.createQueue(TOKEN_QUEUE, { VisibilityTimeout: "5" });
  const machine = await states.machines.create({ name: "crash", definition: JSON.stringify(definition) });
  const arns: string[] = [];
  for (let n = 0; n < executions; n++) {
    const started = await states.executions.start({
      stateMachineArn: machine.arn,
      input: JSON.stringify({ n }),
    });
    arns.push(started.executionArn);
  }
  const answering = new AbortController();
  const answerer = (async () => {
    while (!answering.signal.aborted) {
      const messages = await queues.receiveMessage(TOKEN_QUEUE, {
        maxNumberOfMessages: 10,
        waitTimeSeconds: 1,
        signal: answering.signal,
      });
      for (const message of messages) {
        const { token, item } = JSON.parse(message.body) as { token: string; item: number };
        await states.tasks.sendSuccess(token, JSON.stringify({ doubled: item * 2 })).catch((error: Error) => {
          if (error.name !== "TaskDoesNotExist") throw error;
        });
        await queues.deleteMessage(TOKEN_QUEUE, message.receiptHandle);
      }
    }
  })();
  return {
    store,
    states,
    arns,
    async untilDone(timeoutMillis: number) {
      const deadline = Date.now() + timeoutMillis;
      for (;;) {
        const [row] = await store.query<{ n: number }>(
          "SELECT COUNT(*) AS n FROM executions WHERE status = 'RUNNING'",
        );
        if (Number(row?.n ?? 0) === 0 || Date.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    async close() {
      answering.abort();
      await answerer;
      await queues.close();
    },
  };
}

/** Each execution succeeded with the output it should have, each state entered once (per iteration). */
async function expectAllDone({ states, arns }: Opened) {
  for (const [n, arn] of arns.entries()) {
    const execution = await states.executions.describe(arn);
    expect({ arn, status: execution.status, error: execution.error, cause: execution.cause }).toEqual({
      arn,
      status: "SUCCEEDED",
      error: undefined,
      cause: undefined,
    });
    expect(JSON.parse(execution.output!)).toEqual(expectedOutput(n));
    const history = await states.executions.history(arn, { limit: 1000 });
    const entries: Record<string, number> = {};
    for (const event of history) {
      if (event.type.endsWith("StateEntered")) {
        const name = (event.details as { name: string }).name;
        entries[name] = (entries[name] ?? 0) + 1;
      }
    }
    expect(entries).toEqual(EXPECTED_ENTRIES);
    expect(history.filter((event) => event.type === "ExecutionSucceeded")).toHaveLength(1);
    expect(history.map((event) => event.id)).toEqual(history.map((_, index) => index + 1));
  }
}

describe.each(BACKENDS)("workflow durability on %s", (dialect) => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  it("finishes every execution with its output after repeated SIGKILLs of inflow serve, each state once", async () => {
    const database = createTestDatabase(dialect);
    databases.push(database);
    const engine = await openEngine(database, EXECUTIONS);
    const serve = () => spawnTs("src/cli/main.ts", ["serve", "--port", "0", ...database.args]);
    for (let kill = 0; kill < KILLS; kill++) {
      const server = serve();
      await server.waitForLine((line) => line.startsWith("Inflow listening"), 30_000);
      await new Promise((resolve) => setTimeout(resolve, randomInt(300, 1500)));
      server.child.kill("SIGKILL");
      expect((await server.exited).signal).toBe("SIGKILL");
    }
    const last = serve();
    await last.waitForLine((line) => line.startsWith("Inflow listening"), 30_000);
    await engine.untilDone(90_000);
    last.child.kill("SIGTERM");
    const ended = await last.exited;
    expect(ended, last.stderr()).toEqual({ code: 0, signal: null });
    await engine.close();
    await expectAllDone(engine);
    await engine.store.close();
  }, 240_000);

  it.runIf(dialect === "postgres")(
    "shares the work of many executions between several inflow worker processes",
    async () => {
      const database = createTestDatabase(dialect);
      databases.push(database);
      const engine = await openEngine(database, 100);
      const workers = Array.from({ length: 3 }, () =>
        spawnTs("src/cli/main.ts", ["worker", ...database.args]),
      );
      await Promise.all(
        workers.map((worker) => worker.waitForLine((line) => line.startsWith("Inflow worker"), 30_000)),
      );
      await engine.untilDone(90_000);
      for (const worker of workers) worker.child.kill("SIGTERM");
      for (const worker of workers) expect((await worker.exited).code, worker.stderr()).toBe(0);
      await engine.close();
      await expectAllDone(engine);
      await engine.store.close();
    },
    180_000,
  );
});
