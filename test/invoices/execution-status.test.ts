import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerTransitions, getContainer, transitionContainer } from "../../src/invoices/containers.js";
import { failureReason, reconcileExecutionStatus } from "../../src/invoices/execution-status.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";
import { makeInvoice, seedContainer } from "./support.js";

const ARN = "arn:aws:states:us-east-1:000000000000:execution:digitize:";

describe("failure reasons", () => {
  it("take a Lambda error report's message, else the cause as it is", () => {
    const report = JSON.stringify({ errorType: "X12.Bad", errorMessage: "a.edi: segment 3: bad", trace: [] });
    expect(failureReason("FAILED", "X12.Bad", report)).toBe("X12.Bad: a.edi: segment 3: bad");
    expect(failureReason("FAILED", "Pipeline.DeadLettered", "dead-lettered: ...")).toBe(
      "Pipeline.DeadLettered: dead-lettered: ...",
    );
    expect(failureReason("TIMED_OUT", "States.Timeout")).toBe("States.Timeout");
    expect(failureReason("ABORTED")).toBe("the execution ended ABORTED");
  });
});

describe.each(BACKENDS)("execution-status reconciliation on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  /** What the engine says about each execution now. */
  const statuses = new Map<string, { status: string; error?: string; cause?: string }>();
  const describeExecution = async (arn: string) => {
    const found = statuses.get(arn);
    if (!found) throw new Error(`no execution ${arn}`);
    return found as { status: "RUNNING" };
  };

  beforeAll(async () => {
    store = await database.open();
  });
  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  async function containerWithExecution(state: "New" | "Processing" | "Error") {
    const container = await seedContainer(store, "default", [makeInvoice({ number: "1" })]);
    const arn = `${ARN}${container.id}`;
    await store.run("UPDATE containers SET execution_arn = $2 WHERE id = $1", [container.id, arn]);
    if (state !== "New") await transitionContainer(store, container.id, "Processing");
    if (state === "Error") await transitionContainer(store, container.id, "Error", { reason: "earlier" });
    return { id: container.id, arn };
  }

  it("puts the container in Error with the reason when the execution failed", async () => {
    const { id, arn } = await containerWithExecution("Processing");
    statuses.set(arn, { status: "FAILED", error: "Pipeline.NoInvoices", cause: "a.csv: no invoice found" });
    const answer = await reconcileExecutionStatus(store, describeExecution, id, {
      executionArn: arn,
      status: "FAILED",
    });
    expect(answer).toEqual({ state: "Error" });
    expect((await getContainer(store, id)).error).toBe("Pipeline.NoInvoices: a.csv: no invoice found");
    // The same event again changes nothing.
    await reconcileExecutionStatus(store, describeExecution, id, { executionArn: arn, status: "FAILED" });
    expect(await containerTransitions(store, id)).toHaveLength(3);
  });

  it("ignores events of an execution that is no longer the container's", async () => {
    const { id } = await containerWithExecution("Processing");
    const stale = `${ARN}${id}-old`;
    statuses.set(stale, { status: "FAILED", error: "Old" });
    const answer = await reconcileExecutionStatus(store, describeExecution, id, {
      executionArn: stale,
      status: "FAILED",
    });
    expect(answer).toEqual({ state: "Processing" });
    expect((await getContainer(store, id)).state).toBe("Processing");
  });

  it("follows the execution's status as read now, not as the late event says", async () => {
    // Redriven: the FAILED event arrives after the execution runs again.
    const { id, arn } = await containerWithExecution("Error");
    statuses.set(arn, { status: "RUNNING" });
    expect(
      await reconcileExecutionStatus(store, describeExecution, id, { executionArn: arn, status: "FAILED" }),
    ).toEqual({ state: "Processing" });
    // A late RUNNING event after it failed again leaves it in Error.
    statuses.set(arn, { status: "FAILED", error: "Again", cause: "x" });
    await transitionContainer(store, id, "Error", { reason: "Again: x" });
    expect(
      await reconcileExecutionStatus(store, describeExecution, id, { executionArn: arn, status: "RUNNING" }),
    ).toEqual({ state: "Error" });
  });

  it("leaves containers alone on success and on a start", async () => {
    const { id, arn } = await containerWithExecution("New");
    statuses.set(arn, { status: "RUNNING" });
    expect(
      await reconcileExecutionStatus(store, describeExecution, id, { executionArn: arn, status: "RUNNING" }),
    ).toEqual({ state: "New" });
    statuses.set(arn, { status: "SUCCEEDED" });
    expect(
      await reconcileExecutionStatus(store, describeExecution, id, {
        executionArn: arn,
        status: "SUCCEEDED",
      }),
    ).toEqual({ state: "New" });
  });
});
