import { CreateStateMachineCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { settled } from "../aws/sfn-support.js";
import { type Instance, runCli, startInstance } from "../support/instance.js";

const ROLE_ARN = "arn:aws:iam::000000000000:role/inflow-test";

const definition = (fn: string) =>
  JSON.stringify({
    StartAt: "Prepare",
    States: {
      Prepare: { Type: "Pass", Next: "Call" },
      Call: { Type: "Task", Resource: `arn:aws:lambda:us-east-1:000000000000:function:${fn}`, End: true },
    },
  });

// The commands speak the Step Functions API, which its suites check on both backends: one is enough here.
// Each CLI run is a Node.js process starting through tsx: seconds apiece on a busy machine.
describe("inflow executions against a running instance", { timeout: 60_000 }, () => {
  let instance: Instance;
  let endpoint: string[];
  let declining = true;
  let chargerArn: string;
  let failedArn: string;
  let succeededArn: string;

  beforeAll(async () => {
    const functions = createFunctions();
    functions.register("greet", async (event: { name: string }) => ({ greeting: `Hello, ${event.name}` }));
    functions.register("charge", async () => {
      if (!declining) return { charged: true };
      const error = new Error("card expired");
      error.name = "PaymentDeclined";
      throw error;
    });
    instance = await startInstance("sqlite", functions);
    endpoint = ["--endpoint", instance.url];
    const { sfn } = instance;
    const machine = async (name: string, fn: string) =>
      (await sfn.send(new CreateStateMachineCommand({ name, definition: definition(fn), roleArn: ROLE_ARN })))
        .stateMachineArn!;
    const run = async (stateMachineArn: string, name: string, input: unknown) => {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      await settled(sfn, executionArn!);
      return executionArn!;
    };
    const greeterArn = await machine("greeter", "greet");
    chargerArn = await machine("charger", "charge");
    succeededArn = await run(greeterArn, "hello-ann", { name: "Ann" });
    // ListExecutions refuses express machines: listing every machine's executions skips them.
    await sfn.send(
      new CreateStateMachineCommand({
        name: "quick",
        definition: definition("greet"),
        roleArn: ROLE_ARN,
        type: "EXPRESS",
      }),
    );
    failedArn = await run(chargerArn, "order-42", { order: 42 });
  });
  afterAll(async () => {
    await instance?.close();
  });

  it("ls prints every machine's executions, newest first", async () => {
    const run = await runCli(["executions", "ls", ...endpoint]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+MACHINE\s+STATUS\s+STARTED\s+DURATION\s+ARN$/);
    expect(lines[1]).toMatch(
      new RegExp(`^order-42\\s+charger\\s+FAILED\\s+\\d{4}-\\d\\d-\\d\\d \\S+\\s+\\d.*\\s${failedArn}$`),
    );
    expect(lines[2]).toMatch(new RegExp(`^hello-ann\\s+greeter\\s+SUCCEEDED\\s.*\\s${succeededArn}$`));
    expect(lines).toHaveLength(3);
  });

  it("ls --json filters by machine (name or ARN) and status", async () => {
    const byName = await runCli([
      "executions",
      "ls",
      "--machine",
      "charger",
      "--status",
      "FAILED",
      "--json",
      ...endpoint,
    ]);
    expect(byName.code).toBe(0);
    expect(byName.json()).toEqual([
      expect.objectContaining({ executionArn: failedArn, name: "order-42", status: "FAILED" }),
    ]);
    const byArn = await runCli([
      "executions",
      "ls",
      "--machine",
      chargerArn,
      "--status",
      "SUCCEEDED",
      "--json",
      ...endpoint,
    ]);
    expect(byArn.json()).toEqual([]);
  });

  it("show describes the execution and marks its failures", async () => {
    const run = await runCli(["executions", "show", failedArn, ...endpoint]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Execution {2}arn:aws:states:.*:execution:charger:order-42$/m);
    expect(run.stdout).toMatch(/^Status {5}FAILED$/m);
    expect(run.stdout).toMatch(/^Input {6}\{"order":42\}$/m);
    expect(run.stdout).toMatch(/^Error {6}PaymentDeclined$/m);
    // A function's error report shows as its message.
    expect(run.stdout).toMatch(/^Cause {6}card expired$/m);
    expect(run.stdout).toMatch(/^Redrive {4}possible/m);
    // The history names the state of every event and marks the failures with "!".
    expect(run.stdout).toMatch(/^\s+\d+\s+\S+ ms\s+TaskStateEntered\s+Call$/m);
    expect(run.stdout).toMatch(
      /^!\s+\d+\s+\S+ ms\s+LambdaFunctionFailed\s+Call\s+PaymentDeclined: card expired$/m,
    );
    expect(run.stdout).toMatch(
      /^!\s+\d+\s+\S+ ms\s+ExecutionFailed\s+Call\s+PaymentDeclined: card expired$/m,
    );
    expect(run.stdout).toMatch(
      /^Failures \(2\)\n! #\d+ LambdaFunctionFailed in Call\n {4}PaymentDeclined: card expired$/m,
    );
  });

  it("show --json has the description and the whole history", async () => {
    const run = await runCli(["executions", "show", failedArn, "--json", ...endpoint]);
    expect(run.code).toBe(0);
    const { execution, events } = run.json<{
      execution: Record<string, unknown>;
      events: Array<{ type: string; id: number }>;
    }>();
    expect(execution).toMatchObject({ executionArn: failedArn, status: "FAILED", error: "PaymentDeclined" });
    expect(events[0]?.type).toBe("ExecutionStarted");
    expect(events.at(-1)?.type).toBe("ExecutionFailed");
  });

  it("redrive restarts a failed execution from the failed state", async () => {
    declining = false;
    const run = await runCli(["executions", "redrive", failedArn, ...endpoint]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Redriven at \d{4}-\d\d-\d\d \S+: the execution continues from the state that failed/,
    );
    const execution = await settled(instance.sfn, failedArn);
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.redriveCount).toBe(1);

    // Nothing left to redrive: the service says why.
    const again = await runCli(["executions", "redrive", failedArn, "--json", ...endpoint]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toMatch(/^inflow: ExecutionNotRedrivable: /);
  });

  it("an unknown execution or machine is reported in the service's words, exit 1", async () => {
    const missing = `${failedArn.replace("order-42", "no-such-order")}`;
    const show = await runCli(["executions", "show", missing, ...endpoint]);
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/^inflow: ExecutionDoesNotExist: .*no-such-order/);
    const ls = await runCli(["executions", "ls", "--machine", "nope", ...endpoint]);
    expect(ls.code).toBe(1);
    expect(ls.stderr).toContain("No state machine named 'nope'");
    expect(ls.stderr).toContain("charger, greeter");
  });
});
