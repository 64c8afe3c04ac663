import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

type Definition = Record<string, unknown>;

describe.each(BACKENDS)("workflow engine on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  const calls: Array<{ name: string; payload: unknown }> = [];
  /** Fails the first `failures` calls of each function name, then answers with its payload. */
  const failures = new Map<string, number>();
  let machineCount = 0;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, {
      concurrency: 2,
      invoke: async (reference, payload) => {
        // A function named by its ARN comes with the ARN, as Lambda would get it.
        const name = reference.split(":").pop()!;
        calls.push({ name, payload });
        const left = failures.get(name) ?? 0;
        if (left > 0) {
          failures.set(name, left - 1);
          const error = new Error(`${name} is down`);
          error.name = "ServiceDown";
          throw error;
        }
        return { echoed: payload };
      },
    });
    await states.startWorkers();
    await queues.createQueue("work");
  });
  afterAll(async () => {
    await states?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  async function start(definition: Definition, input: unknown = {}, name?: string) {
    const machine = await states.machines.create({
      name: `m${machineCount++}`,
      definition: JSON.stringify(definition),
    });
    const execution = await states.executions.start({
      stateMachineArn: machine.arn,
      input: JSON.stringify(input),
      ...(name ? { name } : {}),
    });
    return { machine, execution };
  }

  async function finished(arn: string, timeout = 10_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const execution = await states.executions.describe(arn);
      if (execution.status !== "RUNNING" || Date.now() > deadline) return execution;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function historyTypes(arn: string) {
    return (await states.executions.history(arn, { limit: 1000 })).map((event) => event.type);
  }

  async function takeToken(): Promise<string> {
    for (;;) {
      const [message] = await queues.receiveMessage("work", { waitTimeSeconds: 5 });
      if (message) {
        await queues.deleteMessage("work", message.receiptHandle);
        return (JSON.parse(message.body) as { token: string }).token;
      }
    }
  }

  const waitForToken = (extra: Definition = {}): Definition => ({
    StartAt: "Ask",
    States: {
      Ask: {
        Type: "Task",
        Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters: {
          QueueUrl: "http://localhost/000000000000/work",
          MessageBody: { "token.$": "$$.Task.Token" },
        },
        ...extra,
        End: true,
      },
    },
  });

  it("waits for a task token and goes on with SendTaskSuccess's output, with AWS's history", async () => {
    const { execution } = await start(waitForToken());
    const token = await takeToken();
    await states.tasks.sendSuccess(token, JSON.stringify({ approved: true }));
    const done = await finished(execution.executionArn);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output!)).toEqual({ approved: true });
    expect(await historyTypes(execution.executionArn)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
    await expect(states.tasks.sendSuccess(token, "{}")).rejects.toMatchObject({ name: "TaskDoesNotExist" });
    await expect(states.tasks.sendSuccess("not-a-token", "{}")).rejects.toMatchObject({
      name: "InvalidToken",
    });
  });

  it("fails the execution with SendTaskFailure's error and cause", async () => {
    const { execution } = await start(waitForToken());
    await states.tasks.sendFailure(await takeToken(), "Rejected", "the invoice was rejected");
    const done = await finished(execution.executionArn);
    expect(done).toMatchObject({ status: "FAILED", error: "Rejected", cause: "the invoice was rejected" });
    expect((await historyTypes(execution.executionArn)).slice(-2)).toEqual(["TaskFailed", "ExecutionFailed"]);
  });

  it("times a task out after TimeoutSeconds and a silent one after HeartbeatSeconds", async () => {
    const timed = await start(waitForToken({ TimeoutSeconds: 1 }));
    const token = await takeToken();
    expect(await finished(timed.execution.executionArn)).toMatchObject({
      status: "FAILED",
      error: "States.Timeout",
    });
    expect(await historyTypes(timed.execution.executionArn)).toContain("TaskTimedOut");
    await expect(states.tasks.sendSuccess(token, "{}")).rejects.toMatchObject({ name: "TaskTimedOut" });

    const silent = await start({
      StartAt: "Ask",
      States: {
        Ask: {
          ...(waitForToken({ HeartbeatSeconds: 1 }).States as Record<string, Definition>).Ask,
          End: undefined,
          Catch: [{ ErrorEquals: ["States.Timeout"], ResultPath: "$.error", Next: "Caught" }],
          Next: "Caught",
        },
        Caught: { Type: "Pass", End: true },
      },
    });
    const heartbeatToken = await takeToken();
    await states.tasks.sendHeartbeat(heartbeatToken);
    const done = await finished(silent.execution.executionArn);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output!).error).toEqual({ Error: "States.HeartbeatTimeout", Cause: "" });
  });

  it("retries a failing function with back-off, then catches what is left", async () => {
    failures.set("flaky", 2);
    failures.set("broken", 10);
    const { execution } = await start(
      {
        StartAt: "Flaky",
        States: {
          Flaky: {
            Type: "Task",
            Resource: "arn:aws:lambda:us-east-1:000000000000:function:flaky",
            Retry: [{ ErrorEquals: ["ServiceDown"], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 3 }],
            ResultPath: "$.flaky",
            Next: "Broken",
          },
          Broken: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "broken", "Payload.$": "$" },
            Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 1 }],
            Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.problem", Next: "Handled" }],
            End: true,
          },
          Handled: { Type: "Pass", End: true },
        },
      },
      { invoice: 7 },
    );
    const done = await finished(execution.executionArn, 15_000);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output!)).toEqual({
      invoice: 7,
      flaky: { echoed: { invoice: 7 } },
      problem: { Error: "ServiceDown", Cause: "broken is down" },
    });
    expect(calls.filter((call) => call.name === "flaky")).toHaveLength(3);
    expect(calls.filter((call) => call.name === "broken")).toHaveLength(2);
  }, 20_000);

  it("stops an execution in a Wait: ABORTED, and its history ends ExecutionAborted", async () => {
    const { execution } = await start({
      StartAt: "Sleep",
      States: { Sleep: { Type: "Wait", Seconds: 60, End: true } },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await states.executions.stop(execution.executionArn, { error: "Manual", cause: "testing" });
    const done = await states.executions.describe(execution.executionArn);
    expect(done.status).toBe("ABORTED");
    expect(await historyTypes(execution.executionArn)).toEqual([
      "ExecutionStarted",
      "WaitStateEntered",
      "ExecutionAborted",
    ]);
  });

  it("fails an execution whose history would pass 25,000 events, ending on an event that fits", async () => {
    const { execution } = await start({
      StartAt: "Again",
      States: {
        Again: { Type: "Pass", Next: "Loop" },
        Loop: {
          Type: "Choice",
          Choices: [{ Variable: "$.stop", IsPresent: true, Next: "Done" }],
          Default: "Again",
        },
        Done: { Type: "Succeed" },
      },
    });
    const done = await finished(execution.executionArn, 60_000);
    expect(done).toMatchObject({ status: "FAILED", error: "States.Runtime" });
    expect(done.cause).toContain("25000");
    const [last] = await states.executions.history(execution.executionArn, { limit: 1, reverse: true });
    expect(last?.type).toBe("ExecutionFailed");
    expect(last?.id).toBeLessThanOrEqual(25_000);
    expect(last?.id).toBeGreaterThan(24_000);
  }, 90_000);

  it("records ExecutionAborted after no other event, as AWS does (previousEventId 0)", async () => {
    const { execution } = await start({
      StartAt: "Sleep",
      States: { Sleep: { Type: "Wait", Seconds: 60, End: true } },
    });
    await states.executions.stop(execution.executionArn, {});
    const [aborted] = await states.executions.history(execution.executionArn, { limit: 1, reverse: true });
    expect(aborted).toMatchObject({ type: "ExecutionAborted", previousEventId: 0 });
  });

  it("starts idempotently by name and input, and refuses the same name with other input", async () => {
    const { machine, execution } = await start(
      { StartAt: "Sleep", States: { Sleep: { Type: "Wait", Seconds: 30, End: true } } },
      { a: 1 },
      "once",
    );
    const again = await states.executions.start({
      stateMachineArn: machine.arn,
      name: "once",
      input: '{"a":1}',
    });
    expect(again.executionArn).toBe(execution.executionArn);
    expect(again.startDate).toBe(execution.startDate);
    await expect(
      states.executions.start({ stateMachineArn: machine.arn, name: "once", input: '{"a":2}' }),
    ).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
    await states.executions.stop(execution.executionArn, {});
  });

  it("redrives a failed Map: only the failed iterations run again, under the same ARN", async () => {
    failures.set("item", 1);
    const { execution } = await start(
      {
        StartAt: "Each",
        States: {
          Each: {
            Type: "Map",
            ItemsPath: "$.items",
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: "Handle",
              States: {
                Handle: {
                  Type: "Task",
                  Resource: "arn:aws:lambda:us-east-1:000000000000:function:item",
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      { items: [1, 2, 3] },
    );
    const failed = await finished(execution.executionArn);
    expect(failed).toMatchObject({ status: "FAILED", error: "ServiceDown" });
    const before = calls.filter((call) => call.name === "item").length;
    await states.executions.redrive(execution.executionArn);
    const done = await finished(execution.executionArn);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.redriveCount).toBe(1);
    expect(JSON.parse(done.output!)).toEqual([{ echoed: 1 }, { echoed: 2 }, { echoed: 3 }]);
    const after = calls.filter((call) => call.name === "item").map((call) => call.payload);
    expect(after.length - before).toBe(3);
    expect(await historyTypes(execution.executionArn)).toContain("ExecutionRedriven");
    await expect(states.executions.redrive(execution.executionArn)).rejects.toMatchObject({
      name: "ExecutionNotRedrivable",
    });
  });
});
