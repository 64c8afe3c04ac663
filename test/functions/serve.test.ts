import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../../src/cli/commands/serve.js";
import { startWorker } from "../../src/cli/commands/worker.js";
import { createFunctions } from "../../src/functions/registry.js";
import { createQueues } from "../../src/queues/service.js";
import { createStates } from "../../src/states/engine.js";
import { settled } from "../aws/sfn-support.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/backends.js";
import { clientDefaults } from "../support/listen.js";

const DEFINITION = JSON.stringify({
  StartAt: "Greet",
  States: {
    Greet: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:000000000000:function:greet", End: true },
  },
});

/** The `--data` / `--database` options that select `database`. */
const storageOf = (database: TestDatabase) =>
  database.dialect === "sqlite"
    ? { data: database.options.dataDir! }
    : { data: ".inflow", database: database.args[1]! };

describe.each(BACKENDS)("functions given to inflow serve and inflow worker on %s", (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const greeter = () => {
    const functions = createFunctions();
    functions.register("greet", async (event: { name: string }) => ({ greeting: `Hello, ${event.name}` }));
    return functions;
  };

  it("serve runs Task states against the registry it was given", async () => {
    const database = createTestDatabase(dialect);
    cleanups.push(() => database.drop());
    const server = await startServer({ ...storageOf(database), host: "127.0.0.1", port: 0 }, greeter());
    cleanups.push(() => server.close());
    const client = new SFNClient(clientDefaults(server.address));
    cleanups.push(async () => client.destroy());

    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: "greeter",
        definition: DEFINITION,
        roleArn: "arn:aws:iam::000000000000:role/any",
      }),
    );
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ name: "Inflow" }) }),
    );
    const execution = await settled(client, executionArn!);
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.output!)).toEqual({ greeting: "Hello, Inflow" });
  });

  it("a worker runs Task states against the registry it was given", async () => {
    const database = createTestDatabase(dialect);
    cleanups.push(() => database.drop());
    // A client-only engine starts the execution; only the worker takes steps.
    const store = await database.open();
    const queues = createQueues(store);
    const states = createStates(store, queues);
    cleanups.push(async () => {
      await states.close();
      await queues.close();
      await store.close();
    });
    const machine = await states.machines.create({ name: "greeter", definition: DEFINITION });
    const { executionArn } = await states.executions.start({
      stateMachineArn: machine.arn,
      input: JSON.stringify({ name: "worker" }),
    });

    const worker = await startWorker({ ...storageOf(database), concurrency: 1 }, greeter());
    cleanups.push(() => worker.close());
    const deadline = Date.now() + 15_000;
    let execution = await states.executions.describe(executionArn);
    while (execution.status === "RUNNING" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      execution = await states.executions.describe(executionArn);
    }
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.output!)).toEqual({ greeting: "Hello, worker" });
  });
});
