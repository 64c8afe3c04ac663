import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { loadResourceFile } from "../../src/config/load.js";
import { createMappings } from "../../src/functions/mappings.js";
import { createFunctions } from "../../src/functions/registry.js";
import { createSchedules } from "../../src/functions/schedules.js";
import { PIPELINE_QUEUES } from "../../src/pipeline/install.js";
import { createQueues } from "../../src/queues/service.js";
import { createStates } from "../../src/states/engine.js";
import { settled } from "../aws/sfn-support.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/backends.js";
import { clientDefaults } from "../support/listen.js";

const FIXTURE_DIR = fileURLToPath(new URL("./fixtures/approval/", import.meta.url));
const CONFIG = join(FIXTURE_DIR, "inflow.yaml");
const scratch = mkdtempSync(join(tmpdir(), "inflow-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A resource file of `text`, its relative paths pointing at the fixture's files. */
const writeConfig = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text.replaceAll("./", FIXTURE_DIR));
  return path;
};

const storageOf = (database: TestDatabase) =>
  database.dialect === "sqlite"
    ? { data: database.options.dataDir! }
    : { data: ".inflow", database: database.args[1]! };

describe.each(BACKENDS)("a resource file applied by inflow serve on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => database.drop());

  const serve = async (config: string) => {
    server = await startServer({ ...storageOf(database), host: "127.0.0.1", port: 0, config });
    process.env.AWS_ENDPOINT_URL = server.address;
    return server;
  };

  /** What the database holds, seen from a client of its own. */
  const inspect = async <T>(look: (parts: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> => {
    const parts = await open();
    try {
      return await look(parts);
    } finally {
      await parts.queues.close();
      await parts.store.close();
    }
  };
  const open = async () => {
    const store = await database.open();
    const queues = createQueues(store);
    const states = createStates(store, queues);
    const functions = createFunctions();
    return {
      store,
      queues,
      mappings: createMappings(store, queues, functions),
      schedules: createSchedules(store, { functions, states }),
    };
  };

  it("runs an approval workflow of the digitize pipeline's shape: an execution succeeds through the mappings, another fails through the DLQ", async () => {
    const running = await serve(CONFIG);
    const sfn = new SFNClient(clientDefaults(running.address));
    const stateMachineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:approve-order";
    const good = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ containerId: "c-1" }) }),
    );
    const bad = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ containerId: "c-2", fail: true }),
      }),
    );

    const succeeded = await settled(sfn, good.executionArn!, 15_000);
    expect(succeeded.status).toBe("SUCCEEDED");
    expect(JSON.parse(succeeded.output!)).toEqual({
      containerId: "c-1",
      processing: { status: "Processing" },
      verified: { containerId: "c-1", ok: true },
    });

    const failed = await settled(sfn, bad.executionArn!, 15_000);
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toBe("DeadLetter");
    expect(failed.cause).toMatch(/from arn:aws:sqs:us-east-1:000000000000:review-order failed 2 times$/);
    sfn.destroy();
  }, 30_000);

  it("applies again idempotently, and disables the mappings and schedules the file no longer names", async () => {
    await serve(CONFIG);
    await server!.close();
    server = undefined;
    // The resource file's own mappings: those of the pipeline Inflow installs are not the file's.
    const before = (await inspect(({ mappings }) => mappings.list())).filter((m) => m.declared);
    expect(before).toHaveLength(3);

    const original = readFileSync(CONFIG, "utf8");
    const trimmed = original
      .replace(/ {2}- queue: confirm-order\n(?: {4}.*\n)+/, "")
      .replace(/\nschedules:\n[\s\S]*$/, "\n");
    await serve(writeConfig("trimmed.yaml", trimmed));
    // On SQLite a second connection in this process would wait on the server's, which cannot go on meanwhile.
    await server!.close();
    server = undefined;

    const after = await inspect(async ({ mappings, schedules, queues }) => ({
      mappings: (await mappings.list()).filter((m) => m.declared),
      schedules: await schedules.list(),
      queues: (await queues.listQueues()).names,
    }));
    expect(after.mappings.map((m) => [m.uuid, m.queueName, m.state])).toEqual(
      before.map((m) => [m.uuid, m.queueName, m.queueName === "confirm-order" ? "Disabled" : "Enabled"]),
    );
    expect(after.schedules.map((s) => [s.name, s.state])).toEqual([["nightly-approval", "DISABLED"]]);
    // Queues stay: deleting one would lose its messages.
    const pipelineQueues = PIPELINE_QUEUES.flatMap((name) => [name, `${name}-dlq`]);
    const declared = after.queues.filter(
      (name) => !name.startsWith("inflow-") && !pipelineQueues.includes(name),
    );
    expect(declared.sort()).toEqual(["confirm-order", "review-order", "review-order-dlq"]);
  }, 30_000);
});

describe("resource file errors name the resource and the field", () => {
  const problem = async (text: string) => {
    const path = writeConfig(`bad-${Math.random().toString(36).slice(2)}.yaml`, text);
    return loadResourceFile(path).then(
      () => "no error",
      (error: Error) => `${error.name}: ${error.message.slice(path.length + 2)}`,
    );
  };

  it.each([
    [
      "queues:\n  work:\n    attributes: { VisibilityTimeout: [1] }\n",
      "ResourceFile.Invalid: queues.work.attributes.VisibilityTimeout: must be string,number,boolean",
    ],
    [
      "queues:\n  work:\n    redrivePolicy: { maxReceiveCount: 3 }\n",
      "ResourceFile.Invalid: queues.work.redrivePolicy.deadLetterQueue: is required",
    ],
    [
      "eventSourceMappings:\n  - { queue: work, function: handle, batchsize: 5 }\n",
      "ResourceFile.Invalid: eventSourceMappings[0] (work -> handle).batchsize: is not a field Inflow knows; check its spelling against docs/resources.md",
    ],
    [
      "eventSourceMappings:\n  - { queue: work, function: handle, maximumConcurrency: 1 }\n",
      "ResourceFile.Invalid: eventSourceMappings[0] (work -> handle).maximumConcurrency: must be >= 2",
    ],
    [
      "schedules:\n  nightly: { expression: rate(1 day), target: { queue: work } }\n",
      "ResourceFile.Invalid: schedules.nightly.target.queue: is not a field Inflow knows; check its spelling against docs/resources.md",
    ],
    [
      "functions:\n  bad name: { module: ./x.js }\n",
      "ResourceFile.Invalid: functions.bad name: is not a valid name for this kind of resource",
    ],
    [
      "queues:\n  work:\n    attributes: { RedrivePolicy: x }\n",
      "ResourceFile.Invalid: queues.work.attributes.RedrivePolicy: is set elsewhere: RedrivePolicy goes in redrivePolicy",
    ],
    ["queues:\n  work: {\n", "ResourceFile.Invalid: is not valid YAML: line 3, column 1: "],
  ])("%s", async (text, expected) => {
    expect(await problem(text)).toContain(expected);
  });

  it("resources that cannot be created are named too", async () => {
    const database = createTestDatabase("sqlite");
    const path = writeConfig(
      "unknown-function.yaml",
      "queues:\n  work:\neventSourceMappings:\n  - { queue: work, function: nobody }\n",
    );
    await expect(
      startServer({ data: database.options.dataDir!, host: "127.0.0.1", port: 0, config: path }),
    ).rejects.toThrow(
      `${path}: eventSourceMappings[0] (work -> nobody): Function not found: arn:aws:lambda:us-east-1:000000000000:function:nobody`,
    );
    const machine = writeConfig(
      "bad-machine.yaml",
      "stateMachines:\n  broken:\n    definition: { StartAt: Nowhere, States: {} }\n",
    );
    await expect(
      startServer({ data: database.options.dataDir!, host: "127.0.0.1", port: 0, config: machine }),
    ).rejects.toThrow(`${machine}: stateMachines.broken: `);
    await database.drop();
  });
});
