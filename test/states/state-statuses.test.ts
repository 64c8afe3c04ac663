import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import { stateOutcomes } from "../../src/states/state-statuses.js";
import type { Store } from "../../src/store/types.js";
import { createTestDatabase } from "../support/backends.js";

/** Each state's outcome is read from a real execution's history, as the dashboard reads it. */
describe("what became of each state of an execution", () => {
  const database = createTestDatabase("sqlite");
  let store: Store;
  let queues: Queues;
  let states: States;
  let machineCount = 0;
  /** Functions named here fail as often as the count says, then answer. */
  const failures = new Map<string, number>();

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, {
      concurrency: 2,
      invoke: async (reference, payload) => {
        const name = reference.split(":").pop()!;
        const left = failures.get(name) ?? 0;
        if (left > 0) {
          failures.set(name, left - 1);
          throw Object.assign(new Error(`${name} is down`), { name: "ServiceDown" });
        }
        return payload;
      },
    });
    await states.startWorkers();
  });
  afterAll(async () => {
    await states?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

  async function run(
    definition: { States: Record<string, unknown> } & Record<string, unknown>,
    settle = true,
  ) {
    const machine = await states.machines.create({
      name: `m${machineCount++}`,
      definition: JSON.stringify(definition),
    });
    const { executionArn } = await states.executions.start({
      stateMachineArn: machine.arn,
      input: '{"n":1}',
    });
    let execution = await states.executions.describe(executionArn);
    for (let i = 0; settle && execution.status === "RUNNING" && i < 400; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      execution = await states.executions.describe(executionArn);
    }
    const history = await states.executions.history(executionArn, { limit: 1000 });
    return { execution, outcomes: stateOutcomes(Object.keys(definition.States), history, execution.status) };
  }

  it("marks what succeeded, what a Catch led on from (caught, with the error), and what was never reached", async () => {
    failures.set("retried", 1);
    failures.set("broken", 5);
    const { execution, outcomes } = await run({
      StartAt: "Retried",
      States: {
        Retried: {
          Type: "Task",
          Resource: fn("retried"),
          Retry: [{ ErrorEquals: ["ServiceDown"], IntervalSeconds: 1, MaxAttempts: 2 }],
          Next: "Broken",
        },
        Broken: {
          Type: "Task",
          Resource: fn("broken"),
          Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.problem", Next: "Handled" }],
          Next: "Skipped",
        },
        Skipped: { Type: "Pass", End: true },
        Handled: { Type: "Pass", End: true },
      },
    });
    expect(execution.status).toBe("SUCCEEDED");
    // A failure a Retry got past leaves no mark.
    expect(outcomes.Retried).toMatchObject({ status: "succeeded", input: '{"n":1}' });
    expect(outcomes.Retried!.error).toBeUndefined();
    expect(outcomes.Broken).toMatchObject({
      status: "caught",
      error: "ServiceDown",
      cause: "broken is down",
    });
    expect(outcomes.Handled!.status).toBe("succeeded");
    expect(JSON.parse(outcomes.Handled!.output!)).toMatchObject({ problem: { Error: "ServiceDown" } });
    expect(outcomes.Skipped).toEqual({ status: "notReached" });
    expect(outcomes.Broken!.exitedAt).toBeGreaterThanOrEqual(outcomes.Broken!.enteredAt!);
  }, 20_000);

  it("counts an inline Map's iterations, and marks the Map caught when one failed", async () => {
    failures.set("item", 1);
    const { execution, outcomes } = await run({
      StartAt: "Prepare",
      States: {
        Prepare: { Type: "Pass", Result: [1, 2, 3], ResultPath: "$.items", Next: "Each" },
        Each: {
          Type: "Map",
          ItemsPath: "$.items",
          MaxConcurrency: 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: "INLINE" },
            StartAt: "Item",
            States: { Item: { Type: "Task", Resource: fn("item"), End: true } },
          },
          Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.problem", Next: "Handled" }],
          End: true,
        },
        Handled: { Type: "Pass", End: true },
      },
    });
    expect(execution.status).toBe("SUCCEEDED");
    expect(outcomes.Each).toMatchObject({ status: "caught", error: "ServiceDown" });
    // The first iteration failed, so the Map stopped: one started, one failed.
    expect(outcomes.Each!.iterations).toEqual({ total: 1, succeeded: 0, failed: 1, running: 0 });
    expect(outcomes.Handled!.status).toBe("succeeded");
  }, 20_000);

  it("marks the state an execution is in as running, and the one it failed in as failed", async () => {
    const waiting = await run(
      {
        StartAt: "First",
        States: { First: { Type: "Pass", Next: "Wait" }, Wait: { Type: "Wait", Seconds: 3600, End: true } },
      },
      false,
    );
    for (let i = 0; i < 100 && waiting.outcomes.Wait!.status === "notReached"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const history = await states.executions.history(waiting.execution.executionArn, { limit: 100 });
      waiting.outcomes = stateOutcomes(["First", "Wait"], history, "RUNNING");
    }
    expect(waiting.outcomes.Wait!.status).toBe("running");
    expect(waiting.outcomes.First!.status).toBe("succeeded");
    await states.executions.stop(waiting.execution.executionArn, {});

    failures.set("down", 5);
    const failed = await run({
      StartAt: "Down",
      States: {
        Down: { Type: "Task", Resource: fn("down"), Next: "After" },
        After: { Type: "Pass", End: true },
      },
    });
    expect(failed.execution.status).toBe("FAILED");
    expect(failed.outcomes.Down).toMatchObject({
      status: "failed",
      error: "ServiceDown",
      cause: "down is down",
    });
    expect(failed.outcomes.After).toEqual({ status: "notReached" });
  }, 20_000);
});
