import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { asl, ROLE_ARN, type SfnServer, settled, startSfnServer } from "./sfn-support.js";

/** A distributed Map whose iterations fail on items marked `bad` while the input says so. */
const DISTRIBUTED = asl({
  StartAt: "Lines",
  States: {
    Lines: {
      Type: "Map",
      ItemsPath: "$.lines",
      MaxConcurrency: 2,
      Label: "lines",
      ItemSelector: { "sku.$": "$$.Map.Item.Value.sku", "bad.$": "$$.Map.Item.Value.bad" },
      ItemProcessor: {
        ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
        StartAt: "Check",
        States: {
          Check: {
            Type: "Choice",
            Choices: [{ Variable: "$.bad", BooleanEquals: true, Next: "Hold" }],
            Default: "Price",
          },
          Hold: { Type: "Wait", Seconds: 30, Next: "Price" },
          Price: { Type: "Pass", Parameters: { "sku.$": "$.sku", priced: true }, End: true },
        },
      },
      End: true,
    },
  },
});

async function historyTypes(client: SFNClient, executionArn: string) {
  const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return (events ?? []).map((event) => event.type);
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMillis = 10_000) {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The execution's map run, once its Map has started one. */
async function firstMapRun(client: SFNClient, executionArn: string): Promise<string> {
  const page = await until(
    () => client.send(new ListMapRunsCommand({ executionArn })),
    (listed) => (listed.mapRuns ?? []).length > 0,
  );
  return page.mapRuns![0]!.mapRunArn!;
}

describe.each(BACKENDS)("Distributed Map runs on %s", (dialect) => {
  let server: SfnServer;
  let machineArn: string;
  const lines = (bad: number[] = []) =>
    JSON.stringify({ lines: [0, 1, 2, 3, 4].map((n) => ({ sku: `SKU-${n}`, bad: bad.includes(n) })) });

  beforeAll(async () => {
    server = await startSfnServer(dialect);
    const created = await server.client.send(
      new CreateStateMachineCommand({ name: "distributed", definition: DISTRIBUTED, roleArn: ROLE_ARN }),
    );
    machineArn = created.stateMachineArn!;
  });
  afterAll(() => server?.close());

  it("runs each item as an execution of its own under a map run", async () => {
    const { client } = server;
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, input: lines() }),
    );
    const done = await settled(client, executionArn!);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output!)).toEqual([0, 1, 2, 3, 4].map((n) => ({ sku: `SKU-${n}`, priced: true })));

    const parentEvents = await historyTypes(client, executionArn!);
    expect(parentEvents).toEqual([
      "ExecutionStarted",
      "MapStateEntered",
      "MapRunStarted",
      "MapRunSucceeded",
      "MapStateExited",
      "ExecutionSucceeded",
    ]);

    const { mapRuns } = await client.send(new ListMapRunsCommand({ executionArn }));
    expect(mapRuns).toHaveLength(1);
    const mapRunArn = mapRuns![0]!.mapRunArn!;
    expect(mapRunArn).toMatch(
      /^arn:aws:states:us-east-1:000000000000:mapRun:distributed\/lines:[0-9a-f-]{36}$/,
    );
    const run = await client.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(run).toMatchObject({
      executionArn,
      status: "SUCCEEDED",
      maxConcurrency: 2,
      executionCounts: { succeeded: 5, failed: 0, running: 0, total: 5 },
      itemCounts: { succeeded: 5, pending: 0, total: 5 },
    });

    const children = await client.send(new ListExecutionsCommand({ mapRunArn }));
    expect(children.executions).toHaveLength(5);
    for (const child of children.executions!) {
      expect(child.executionArn).toMatch(/:execution:distributed\/lines:[0-9a-f-]{36}$/);
      expect(child.status).toBe("SUCCEEDED");
      const described = await client.send(new DescribeExecutionCommand({ executionArn: child.executionArn }));
      expect(described.mapRunArn).toBe(mapRunArn);
      expect(await historyTypes(client, child.executionArn!)).toEqual([
        "ExecutionStarted",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
      ]);
    }
    // The state machine's own listing leaves the iterations out, as AWS does.
    const own = await client.send(new ListExecutionsCommand({ stateMachineArn: machineArn }));
    expect(own.executions!.map((execution) => execution.executionArn)).toContain(executionArn);
    expect(own.executions!.some((execution) => execution.executionArn!.includes("/lines:"))).toBe(false);
  });

  it("stops the iterations' executions when the parent is stopped", async () => {
    const { client } = server;
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, input: lines([0, 1]) }),
    );
    const mapRunArn = await firstMapRun(client, executionArn!);
    await until(
      () => client.send(new ListExecutionsCommand({ mapRunArn, statusFilter: "RUNNING" })),
      (page) => (page.executions ?? []).length === 2,
    );
    await client.send(new StopExecutionCommand({ executionArn }));
    const children = await until(
      () => client.send(new ListExecutionsCommand({ mapRunArn })),
      (page) => (page.executions ?? []).every((execution) => execution.status === "ABORTED"),
    );
    expect(children.executions!.map((execution) => execution.status)).toEqual(["ABORTED", "ABORTED"]);
    expect(await client.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({ status: "ABORTED" });
  });

  it("redrives a failed map run: the failed item runs again as a new execution", async () => {
    const { client } = server;
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, input: lines([3]) }),
    );
    const mapRunArn = await firstMapRun(client, executionArn!);
    // Every other item is done and the marked one waits.
    await until(
      () => client.send(new DescribeMapRunCommand({ mapRunArn })),
      (run) => run.executionCounts?.succeeded === 4 && run.executionCounts.running === 1,
    );
    const held = await client.send(new ListExecutionsCommand({ mapRunArn, statusFilter: "RUNNING" }));
    // Stopping the held iteration fails it, and the Map with it.
    const heldArn = held.executions![0]!.executionArn!;
    await client.send(new StopExecutionCommand({ executionArn: heldArn }));
    const failed = await settled(client, executionArn!);
    expect(failed).toMatchObject({ status: "FAILED", error: "States.ExceedToleratedFailureThreshold" });
    expect(await historyTypes(client, executionArn!)).toContain("MapRunFailed");
    expect(await client.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({
      status: "FAILED",
      executionCounts: { succeeded: 4, aborted: 1, total: 5 },
      redriveCount: 0,
    });

    await client.send(new RedriveExecutionCommand({ executionArn }));
    const again = await until(
      () => client.send(new ListExecutionsCommand({ mapRunArn, statusFilter: "RUNNING" })),
      (page) => (page.executions ?? []).length === 1,
    );
    // Only the failed item runs again, as a new execution of the same map run.
    expect(again.executions![0]!.executionArn).not.toBe(heldArn);
    expect((await client.send(new ListExecutionsCommand({ mapRunArn }))).executions).toHaveLength(6);
    const redriven = await client.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(redriven).toMatchObject({ status: "RUNNING", redriveCount: 1 });
    expect(redriven.redriveDate).toBeInstanceOf(Date);
    await client.send(new StopExecutionCommand({ executionArn }));
  });
});
