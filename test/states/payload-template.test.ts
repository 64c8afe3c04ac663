import { describe, expect, it } from "vitest";
import { StatesError } from "../../src/states/errors.js";
import { applyPayloadTemplate } from "../../src/states/payload-template.js";
import type { Scope } from "../../src/states/scope.js";

const scopeOf = (input: unknown, stateName = "State", variables: Record<string, unknown> = {}): Scope => ({
  input,
  context: {
    Execution: {
      Id: "arn:aws:states:us-east-1:000000000000:execution:machine:run-1",
      Input: input,
      Name: "run-1",
      RoleArn: "arn:aws:iam::000000000000:role/sfn",
      StartTime: "2024-05-01T10:00:00.000Z",
    },
    State: { EnteredTime: "2024-05-01T10:00:00.100Z", Name: stateName, RetryCount: 0 },
    StateMachine: { Id: "arn:aws:states:us-east-1:000000000000:stateMachine:machine", Name: "machine" },
  },
  variables,
});

function failure(run: () => unknown): StatesError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error("expected a StatesError");
}

describe("applyPayloadTemplate", () => {
  const input = { name: "Ada", list: [1, 2], nested: { deep: true } };

  it("resolves `.$` keys and copies everything else, through objects and arrays", () => {
    const template = {
      literal: "text",
      number: 1,
      "name.$": "$.name",
      "whole.$": "$",
      object: { "flag.$": "$.nested.deep", keep: null },
      array: [{ "first.$": "$.list[0]" }, "plain", ["$.not.a.path"]],
      "machine.$": "$$.StateMachine.Name",
      "greeting.$": "States.Format('Hello {}', $.name)",
      "variable.$": "$counter",
    };
    expect(applyPayloadTemplate(template, scopeOf(input, "S", { counter: 3 }), "Parameters")).toEqual({
      literal: "text",
      number: 1,
      name: "Ada",
      whole: input,
      object: { flag: true, keep: null },
      array: [{ first: 1 }, "plain", ["$.not.a.path"]],
      machine: "machine",
      greeting: "Hello Ada",
      variable: 3,
    });
  });

  it("leaves non-object templates as they are", () => {
    expect(applyPayloadTemplate("text", scopeOf(input), "Parameters")).toBe("text");
    expect(applyPayloadTemplate(null, scopeOf(input), "Parameters")).toBeNull();
    expect(applyPayloadTemplate([1, "$.x"], scopeOf(input), "Parameters")).toEqual([1, "$.x"]);
  });

  it("names the key as written when its path is not found", () => {
    const error = failure(() =>
      applyPayloadTemplate({ outer: { "inner.$": "$.missing" } }, scopeOf({ a: 1 }), "Parameters"),
    );
    expect(error.name).toBe("States.Runtime");
    expect(error.cause).toBe(
      `The JSONPath '$.missing' specified for the field 'inner.$' could not be found in the input '{"a":1}'`,
    );
  });

  it("rejects a `.$` key whose value is not a string", () => {
    const error = failure(() => applyPayloadTemplate({ "list.$": ["$.a"] }, scopeOf({}), "Parameters"));
    expect(error.cause).toContain("must be a STRING that contains a JSONPath but was an ARRAY");
  });
});
