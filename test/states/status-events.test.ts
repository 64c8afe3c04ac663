import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

interface StatusEvent {
  "detail-type": string;
  source: string;
  account: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    name: string;
    status: string;
    input: string;
    output: string | null;
    error: string | null;
    cause: string | null;
    stopDate: number | null;
    redriveCount: number;
  };
}

describe.each(BACKENDS)("execution status events on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  let machineCount = 0;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, { concurrency: 2 });
    await states.startWorkers();
    await queues.createQueue("status");
    await queues.createQueue("work");
    await queues.createQueue("record");
  });
  afterAll(async () => {
    await states?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  const machine = (definition: unknown, statusEventsQueue: string | null = "status") =>
    states.machines.create({
      name: `m${machineCount++}`,
      definition: JSON.stringify(definition),
      ...(statusEventsQueue ? { statusEventsQueue } : {}),
    });

  async function finished(arn: string) {
    for (;;) {
      const execution = await states.executions.describe(arn);
      if (execution.status !== "RUNNING") return execution;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Receives and deletes the next `count` status events, in the order they were sent. */
  async function events(count: number): Promise<StatusEvent[]> {
    const taken: StatusEvent[] = [];
    while (taken.length < count) {
      const messages = await queues.receiveMessage("status", { maxNumberOfMessages: 10, waitTimeSeconds: 1 });
      if (messages.length === 0) break;
      for (const message of messages) {
        taken.push(JSON.parse(message.body) as StatusEvent);
        await queues.deleteMessage("status", message.receiptHandle);
      }
    }
    return taken;
  }

  it("sends RUNNING and SUCCEEDED in EventBridge's shape, with the output", async () => {
    const { arn } = await machine({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } });
    const started = await states.executions.start({ stateMachineArn: arn, name: "ok", input: '{"a":1}' });
    await finished(started.executionArn);
    const [running, succeeded, extra] = await events(3);
    expect(extra).toBeUndefined();
    expect(running).toMatchObject({
      "detail-type": "Step Functions Execution Status Change",
      source: "aws.states",
      account: "000000000000",
      region: "us-east-1",
      resources: [started.executionArn],
      detail: { executionArn: started.executionArn, name: "ok", status: "RUNNING", stopDate: null },
    });
    expect(JSON.parse(running!.detail.input)).toEqual({ a: 1 });
    expect(succeeded!.detail.status).toBe("SUCCEEDED");
    expect(JSON.parse(succeeded!.detail.output!)).toEqual({ a: 1 });
    expect(succeeded!.detail.stopDate).toEqual(expect.any(Number));
  });

  it("reports a failure with its error and cause, and a redrive as RUNNING with its count", async () => {
    const { arn } = await machine({
      StartAt: "Fail",
      States: { Fail: { Type: "Fail", Error: "Broken", Cause: "it broke" } },
    });
    const started = await states.executions.start({ stateMachineArn: arn });
    await finished(started.executionArn);
    expect((await events(2)).map((event) => event.detail.status)).toEqual(["RUNNING", "FAILED"]);

    await states.executions.redrive(started.executionArn);
    await finished(started.executionArn);
    const [redriven, failed] = await events(2);
    expect(redriven!.detail).toMatchObject({ status: "RUNNING", redriveCount: 1 });
    expect(failed!.detail).toMatchObject({ status: "FAILED", error: "Broken", cause: "it broke" });
  });

  it("reports StopExecution as ABORTED", async () => {
    const { arn } = await machine({
      StartAt: "Wait",
      States: {
        Wait: {
          Type: "Task",
          Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          Parameters: { QueueUrl: "http://localhost/000000000000/work", "MessageBody.$": "$$.Task.Token" },
          End: true,
        },
      },
    });
    const started = await states.executions.start({ stateMachineArn: arn });
    await states.executions.stop(started.executionArn, { error: "Stopped", cause: "by the test" });
    const statuses = (await events(2)).map((event) => [event.detail.status, event.detail.error]);
    expect(statuses).toEqual([
      ["RUNNING", null],
      ["ABORTED", "Stopped"],
    ]);
  });

  it("sends nothing for a machine without a status queue, and never fails an execution for a missing one", async () => {
    const quiet = await machine({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } }, null);
    const lost = await machine({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } }, "gone");
    const a = await states.executions.start({ stateMachineArn: quiet.arn });
    const b = await states.executions.start({ stateMachineArn: lost.arn });
    expect((await finished(a.executionArn)).status).toBe("SUCCEEDED");
    expect((await finished(b.executionArn)).status).toBe("SUCCEEDED");
    expect(await events(1)).toEqual([]);
  });

  it("commits what `within` writes with the start, and rolls it back when the start is refused", async () => {
    const { arn } = await machine({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } }, null);
    const record = (body: string) => async (tx: Parameters<Parameters<Store["transaction"]>[0]>[0]) => {
      await queues.within(tx).sendMessage("record", { body });
    };
    await states.executions.start(
      { stateMachineArn: arn, name: "once", input: "{}" },
      { within: record("first") },
    );
    await expect(
      states.executions.start(
        { stateMachineArn: arn, name: "once", input: '{"other":true}' },
        { within: record("second") },
      ),
    ).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
    const messages = await queues.receiveMessage("record", { maxNumberOfMessages: 10, waitTimeSeconds: 0 });
    expect(messages.map((message) => message.body)).toEqual(["first"]);
  });
});
