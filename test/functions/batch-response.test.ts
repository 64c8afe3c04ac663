import { describe, expect, it } from "vitest";
import { batchOutcome } from "../../src/functions/batch-response.js";

const ids = new Set(["a", "b", "c"]);

describe("ReportBatchItemFailures answers, by Lambda's rules", () => {
  it.each([
    ["null", null],
    ["no answer", undefined],
    ["an empty object", {}],
    ["a null list", { batchItemFailures: null }],
    ["an empty list", { batchItemFailures: [] }],
  ])("%s: the whole batch succeeded", (_, answer) => {
    expect(batchOutcome(answer, ids)).toEqual({ failed: new Set() });
  });

  it.each([
    ["a string", "b"],
    ["a list", [{ itemIdentifier: "b" }]],
    ["a list that is not a list", { batchItemFailures: "b" }],
    ["an empty id", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null id", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a wrong key name", { batchItemFailures: [{ itemId: "b" }] }],
    ["an unknown id", { batchItemFailures: [{ itemIdentifier: "b" }, { itemIdentifier: "z" }] }],
    ["a null entry", { batchItemFailures: [null] }],
  ])("%s: the whole batch failed", (_, answer) => {
    expect(batchOutcome(answer, ids)).toEqual({ failed: "all" });
  });

  it("lists the failed messages", () => {
    expect(
      batchOutcome({ batchItemFailures: [{ itemIdentifier: "b" }, { itemIdentifier: "c" }] }, ids),
    ).toEqual({
      failed: new Set(["b", "c"]),
    });
  });
});
