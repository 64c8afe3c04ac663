import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { write810 } from "../../src/formats/samples.js";
import { createFunctions, type Functions } from "../../src/functions/registry.js";
import { createFunctionRuntime, type FunctionRuntime } from "../../src/functions/runtime.js";
import { DIGITIZE, digitizeDefinition } from "../../src/pipeline/definition.js";
import { describeFailure } from "../../src/pipeline/failure.js";
import { installPipeline, PIPELINE_QUEUES, STATUS_QUEUE, TASK_QUEUES } from "../../src/pipeline/install.js";
import { DEFAULT_PIPELINE_SETTINGS } from "../../src/pipeline/settings.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";
import { SERVICE_KEY, type StubService, startStubService } from "./stub-service.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** One process's share of the pipeline: its registry, engine and runtime over a shared store. */
function processOf(store: Store, queues: Queues) {
  const functions = createFunctions();
  const states = createStates(store, queues, { invoke: functions.invoker(), concurrency: 2 });
  const runtime = createFunctionRuntime(store, queues, states, functions);
  return { functions, states, runtime };
}

/** Fast enough for tests: one-second function timeouts, so queues may have one-second visibility timeouts. */
const FAST = { functionTimeoutSeconds: 1, requestTimeoutMillis: 500 };

describe.each(BACKENDS)("installPipeline on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let service: StubService;
  let functions: Functions;
  let states: States;
  let runtime: FunctionRuntime;
  let stateMachineArn: string;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    service = await startStubService();
    ({ functions, states, runtime } = processOf(store, queues));
    stateMachineArn = await installPipeline({
      queues,
      states,
      runtime,
      functions,
      api: { url: service.url, serviceKey: SERVICE_KEY },
      settings: FAST,
    });
    for (const queue of PIPELINE_QUEUES) await queues.setQueueAttributes(queue, { VisibilityTimeout: "1" });
    await runtime.start();
    await states.startWorkers();
  });
  afterAll(async () => {
    await runtime?.close();
    await states?.close();
    await service?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  async function finished(arn: string, timeoutMillis = 15_000) {
    const deadline = Date.now() + timeoutMillis;
    for (;;) {
      const execution = await states.executions.describe(arn);
      if (execution.status !== "RUNNING") return execution;
      if (Date.now() > deadline) throw new Error(`${arn} still RUNNING`);
      await sleep(25);
    }
  }

  async function until(check: () => boolean, timeoutMillis = 10_000) {
    const deadline = Date.now() + timeoutMillis;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await sleep(25);
    }
  }

  const executionArnOf = (containerId: string) =>
    `${states.machines.arnOf(DIGITIZE).replace(":stateMachine:", ":execution:")}:${containerId}`;

  /** Starts digitize for a stand-in container as the containers service does: named by the container. */
  async function digitize(containerId: string, name: string, text: string) {
    service.add(containerId, name, text, executionArnOf(containerId));
    const started = await states.executions.start({
      stateMachineArn,
      name: containerId,
      input: JSON.stringify({ containerId }),
    });
    return started.executionArn;
  }

  it("creates the queues with dead-letter queues, the machine with its status queue, and the mappings", async () => {
    expect(stateMachineArn).toBe(states.machines.arnOf("digitize"));
    for (const queue of Object.keys(TASK_QUEUES)) {
      const attributes = await queues.getQueueAttributes(queue, ["RedrivePolicy"]);
      expect(JSON.parse(attributes.RedrivePolicy!)).toEqual({
        deadLetterTargetArn: queues.arnOf(`${queue}-dlq`),
        maxReceiveCount: DEFAULT_PIPELINE_SETTINGS.maxReceiveCount,
      });
      await queues.getQueue(`${queue}-dlq`);
    }
    // Status events are retried until the service answers, never dead-lettered.
    expect(
      await queues.getQueueAttributes(STATUS_QUEUE, ["RedrivePolicy", "MessageRetentionPeriod"]),
    ).toEqual({
      MessageRetentionPeriod: "1209600",
    });
    const machine = await states.machines.byArn(stateMachineArn);
    expect(machine.statusQueue).toBe("execution-status");
    expect(machine.definitionText).toBe(
      digitizeDefinition({ region: "us-east-1", accountId: "000000000000", mapConcurrency: 10 }),
    );
    const mappings = await runtime.mappings.list();
    expect(mappings.map((mapping) => `${mapping.queueName} -> ${mapping.functionName}`)).toEqual([
      "create-invoice -> create-invoice",
      "create-invoice-dlq -> handle-dead-letter",
      "execution-status -> execution-status",
      "post-invoice-creation -> post-invoice-creation",
      "post-invoice-creation-dlq -> handle-dead-letter",
      "process-file -> set-file-as-processing",
      "process-file-dlq -> handle-dead-letter",
      "verify -> verify",
      "verify-dlq -> handle-dead-letter",
    ]);
    for (const mapping of mappings) {
      expect(mapping).toMatchObject({
        batchSize: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
        state: "Enabled",
      });
    }
    expect(functions.list().map((fn) => [fn.name, fn.timeoutSeconds])).toEqual([
      ["create-invoice", 1],
      ["execution-status", 1],
      ["handle-dead-letter", 1],
      ["parse-file", 300],
      ["post-invoice-creation", 1],
      ["set-file-as-processing", 1],
      ["verify", 1],
    ]);
  });

  it("installs again from another process without changing what exists, and updates a changed definition", async () => {
    const before = await states.machines.byArn(stateMachineArn);
    const mappings = await runtime.mappings.list();
    const other = processOf(store, queues);
    const targets = {
      queues,
      ...other,
      api: { url: service.url, serviceKey: SERVICE_KEY },
      settings: { ...FAST, visibilityTimeoutSeconds: 60, maxReceiveCount: 9 },
    };
    expect(await installPipeline(targets)).toBe(stateMachineArn);
    expect((await states.machines.byArn(stateMachineArn)).updatedAt).toBe(before.updatedAt);
    expect((await runtime.mappings.list()).map((mapping) => mapping.uuid)).toEqual(
      mappings.map((mapping) => mapping.uuid),
    );
    // The queues keep what was set on them since: the visibility timeout of the tests, the receive count.
    const attributes = await queues.getQueueAttributes("verify", ["VisibilityTimeout", "RedrivePolicy"]);
    expect(attributes.VisibilityTimeout).toBe("1");
    expect(JSON.parse(attributes.RedrivePolicy!).maxReceiveCount).toBe(
      DEFAULT_PIPELINE_SETTINGS.maxReceiveCount,
    );

    const third = processOf(store, queues);
    await installPipeline({ ...targets, ...third, settings: { ...FAST, mapConcurrency: 4, batchSize: 50 } });
    expect((await states.machines.byArn(stateMachineArn)).definitionText).toContain('"MaxConcurrency": 4');
    // Batches over 10 messages come with the shortest batching window, as Lambda requires.
    const [mapping] = await runtime.mappings.list();
    expect(mapping).toMatchObject({ batchSize: 50, maximumBatchingWindowInSeconds: 1 });
    // Back to the shipped definition for the runs below.
    await installPipeline({ ...targets, ...processOf(store, queues), settings: FAST });
    expect((await states.machines.byArn(stateMachineArn)).definitionText).toBe(before.definitionText);
  });

  it("digitizes a file to Done over the stand-in service, retrying ParseFile while the service is down", async () => {
    const text = [...write810({ seed: 3, invoices: 12, minLines: 1, maxLines: 2 })].join("");
    service.fail("file", 503);
    const executionArn = await digitize("c_twelve", "twelve.edi", text);
    await until(() => service.calls.some((call) => call.route === "file" && call.id === "c_twelve"));
    service.fail("file", undefined);
    const execution = await finished(executionArn);
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.output!)).toMatchObject({
      containerId: "c_twelve",
      parse: { parsed: 12, chunks: [{ first: 1, last: 12 }] },
      verify: { state: "Done", parsed: 12, created: 12 },
    });
    const container = service.containers.get("c_twelve")!;
    expect(container.state).toBe("Done");
    expect(container.invoices.size).toBe(12);
    const checks = service.calls.filter(
      (call) => call.route === "checks" && call.id.startsWith("i_c_twelve_"),
    );
    expect(new Set(checks.map((call) => call.id)).size).toBe(12);
    // Its start and its success asked nothing of the container: the service heard of neither.
    for (const deadline = Date.now() + 10_000; ; await sleep(25)) {
      const depth = await queues.getQueueAttributes("execution-status", [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
      ]);
      if (depth.ApproximateNumberOfMessages === "0" && depth.ApproximateNumberOfMessagesNotVisible === "0")
        break;
      if (Date.now() > deadline) throw new Error("the status events were not consumed in time");
    }
    expect(
      service.calls.filter((call) => call.route === "execution-status" && call.id === "c_twelve"),
    ).toEqual([]);
  });

  it("fails a task whose message is dead-lettered, and the container goes to Error with the reason", async () => {
    await queues.setQueueAttributes("create-invoice", {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: queues.arnOf("create-invoice-dlq"),
        maxReceiveCount: 2,
      }),
    });
    service.fail("invoice", 503);
    const text = [...write810({ seed: 4, invoices: 2, minLines: 1, maxLines: 1 })].join("");
    const executionArn = await digitize("c_down", "down.edi", text);
    const execution = await finished(executionArn);
    service.fail("invoice", undefined);
    expect(execution).toMatchObject({ status: "FAILED", error: "States.ExceedToleratedFailureThreshold" });
    await until(() => service.containers.get("c_down")!.state === "Error");
    // The distributed Map's own failure names no cause; the failed iteration's is the reason.
    expect(await describeFailure(states)(executionArn)).toMatchObject({
      status: "FAILED",
      error: "Pipeline.DeadLettered",
      cause:
        "dead-lettered: the message to queue create-invoice was received 2 times without being processed",
    });
    expect(await describeFailure(states)(executionArnOf("c_twelve"))).toMatchObject({
      status: "SUCCEEDED",
    });
  });
});
