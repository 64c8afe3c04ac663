import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:";

describe.each(BACKENDS)("Task states calling registered functions on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  const functions = createFunctions();
  /** How often each invoice number has been tried by `create-invoice`. */
  const attempts = new Map<string, number>();
  let machineCount = 0;

  // Fails twice per invoice with a custom error type, then creates it.
  functions.register("create-invoice", async (event: { number: string }, context) => {
    const attempt = (attempts.get(event.number) ?? 0) + 1;
    attempts.set(event.number, attempt);
    if (attempt <= 2) {
      const error = new Error(`Invoice service unavailable (attempt ${attempt})`);
      error.name = "InvoiceServiceDown";
      throw error;
    }
    return { created: event.number, attempt, by: context.functionName };
  });
  functions.register("parse-file", async (event: { file: string }) => ({ keys: [`${event.file}#1`] }));
  functions.register(
    "slow",
    () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 2500)),
    {
      timeoutSeconds: 10,
    },
  );
  functions.register(
    "hangs",
    (_event, context) => new Promise((resolve) => context.signal.addEventListener("abort", resolve)),
    {
      timeoutSeconds: 1,
    },
  );

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, { concurrency: 2, invoke: functions.invoker() });
    await states.startWorkers();
  });
  afterAll(async () => {
    await states?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  async function run(definition: object, input: unknown) {
    const machine = await states.machines.create({
      name: `functions-${machineCount++}`,
      definition: JSON.stringify(definition),
    });
    const { executionArn } = await states.executions.start({
      stateMachineArn: machine.arn,
      input: JSON.stringify(input),
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const execution = await states.executions.describe(executionArn);
      if (execution.status !== "RUNNING" || Date.now() > deadline) {
        const history = await states.executions.history(executionArn, { limit: 1000 });
        return { execution, history };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it("calls a function by its ARN and retries on the error type it throws", async () => {
    const { execution, history } = await run(
      {
        StartAt: "CreateInvoice",
        States: {
          CreateInvoice: {
            Type: "Task",
            Resource: `${FUNCTION_ARN}create-invoice`,
            Retry: [
              { ErrorEquals: ["InvoiceServiceDown"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
            ],
            End: true,
          },
        },
      },
      { number: `INV-${dialect}` },
    );
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.output!)).toEqual({
      created: `INV-${dialect}`,
      attempt: 3,
      by: "create-invoice",
    });
    // A function named by its ARN as the Resource: AWS records LambdaFunction* events for it.
    const failures = history.filter((event) => event.type === "LambdaFunctionFailed");
    expect(failures).toHaveLength(2);
    expect(failures[0]?.details).toMatchObject({ error: "InvoiceServiceDown" });
    const cause = JSON.parse(String(failures[0]?.details?.cause));
    expect(cause).toMatchObject({
      errorType: "InvoiceServiceDown",
      errorMessage: "Invoice service unavailable (attempt 1)",
    });
    expect(cause.trace[0]).toBe("InvoiceServiceDown: Invoice service unavailable (attempt 1)");
    expect(history.filter((event) => event.type === "LambdaFunctionSucceeded")).toHaveLength(1);
    expect(history.filter((event) => /^Task(?!State)/.test(event.type))).toEqual([]);
  });

  it("calls a function through lambda:invoke with Payload and answers with Lambda's Invoke output", async () => {
    const { execution } = await run(
      {
        StartAt: "ParseFile",
        States: {
          ParseFile: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "parse-file", "Payload.$": "$.upload" },
            ResultSelector: { "keys.$": "$.Payload.keys", "status.$": "$.StatusCode" },
            End: true,
          },
        },
      },
      { upload: { file: "edi-810.x12" } },
    );
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.output!)).toEqual({ keys: ["edi-810.x12#1"], status: 200 });
  });

  it("catches a function's timeout as Sandbox.Timedout (lambda:invoke form)", async () => {
    const { execution, history } = await run(
      {
        StartAt: "Hang",
        States: {
          Hang: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: `${FUNCTION_ARN}hangs`, Payload: { anything: true } },
            Catch: [{ ErrorEquals: ["Sandbox.Timedout"], ResultPath: "$.failure", Next: "TimedOut" }],
            End: true,
          },
          TimedOut: { Type: "Pass", End: true },
        },
      },
      { container: 7 },
    );
    expect(execution.status).toBe("SUCCEEDED");
    const output = JSON.parse(execution.output!);
    expect(output.container).toBe(7);
    expect(output.failure.Error).toBe("Sandbox.Timedout");
    expect(JSON.parse(output.failure.Cause)).toEqual({
      errorType: "Sandbox.Timedout",
      errorMessage: expect.stringMatching(
        /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/,
      ),
    });
    expect(history.map((event) => event.type)).toContain("TaskFailed");
  });

  it("times a function call out after the task's TimeoutSeconds, before the function's own timeout", async () => {
    const { execution, history } = await run(
      {
        StartAt: "Slow",
        States: {
          Slow: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "slow" },
            TimeoutSeconds: 1,
            End: true,
          },
        },
      },
      {},
    );
    expect(execution).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    expect(history.map((event) => event.type)).toContain("TaskTimedOut");
    expect(history.map((event) => event.type)).not.toContain("TaskSucceeded");
    const legacy = await run(
      {
        StartAt: "Slow",
        States: { Slow: { Type: "Task", Resource: `${FUNCTION_ARN}slow`, TimeoutSeconds: 1, End: true } },
      },
      {},
    );
    expect(legacy.execution).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    expect(legacy.history.map((event) => event.type)).toContain("LambdaFunctionTimedOut");
  });

  it("fails the execution with Lambda.ResourceNotFoundException for a function nobody registered", async () => {
    const { execution } = await run(
      {
        StartAt: "Missing",
        States: { Missing: { Type: "Task", Resource: `${FUNCTION_ARN}not-registered`, End: true } },
      },
      {},
    );
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("Lambda.ResourceNotFoundException");
    expect(execution.cause).toContain(`Function not found: ${FUNCTION_ARN}not-registered`);
  });
});
