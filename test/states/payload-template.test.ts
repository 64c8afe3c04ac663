import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { StatesError } from "../../src/states/errors.js";
import { evaluateIntrinsic, isIntrinsicCall, parseIntrinsic } from "../../src/states/intrinsics/index.js";
import {
  applyInputPath,
  applyOutputPath,
  applyResultPath,
  compilePath,
  readPath,
} from "../../src/states/paths.js";
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

// ---------------------------------------------------------------------------------------------
// AWS's recorded answers for every case whose definition is one JSONPath Pass (Parameters, paths)
// or Fail (ErrorPath/CausePath) state: these need no engine, only the functions above.

const casesDir = fileURLToPath(new URL("../../../shared/conformance/asl/cases/", import.meta.url));

interface Nondeterministic {
  path: string;
  match: "pattern" | "type" | "any" | "shape";
  pattern?: string;
}

interface Case {
  name: string;
  definition: { QueryLanguage?: string; States: Record<string, Record<string, unknown>> };
  input: unknown;
  expected: {
    status: string;
    output?: unknown;
    error?: string;
    cause?: string;
    nondeterministic?: Nondeterministic[];
  };
}

const loadCases = (): Case[] =>
  existsSync(casesDir)
    ? readdirSync(casesDir)
        .filter((file) => file.endsWith(".json"))
        .map((file) => JSON.parse(readFileSync(`${casesDir}${file}`, "utf8")) as Case)
    : [];

const jsonType = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value;

function sameShape(expected: unknown, actual: unknown): boolean {
  if (jsonType(expected) !== jsonType(actual)) return false;
  if (Array.isArray(expected)) {
    return (
      expected.length === (actual as unknown[]).length &&
      expected.every((e, i) => sameShape(e, (actual as unknown[])[i]))
    );
  }
  if (jsonType(expected) === "object") {
    const [e, a] = [expected as Record<string, unknown>, actual as Record<string, unknown>];
    return (
      Object.keys(e).length === Object.keys(a).length &&
      Object.keys(e).every((k) => k in a && sameShape(e[k], a[k]))
    );
  }
  return true;
}

/** The README's comparison: deep equality, relaxed where `expected.nondeterministic` says. */
function conforms(expected: unknown, actual: unknown, pointer: string, rules: Nondeterministic[]): boolean {
  const rule = rules.find((r) => r.path === pointer);
  if (rule?.match === "pattern")
    return typeof actual === "string" && new RegExp(rule.pattern ?? "").test(actual);
  if (rule?.match === "type") return jsonType(expected) === jsonType(actual);
  if (rule?.match === "any") return actual !== undefined;
  if (rule?.match === "shape") return sameShape(expected, actual);
  if (jsonType(expected) !== jsonType(actual)) return false;
  if (Array.isArray(expected)) {
    const list = actual as unknown[];
    return (
      expected.length === list.length &&
      expected.every((e, i) => conforms(e, list[i], `${pointer}/${i}`, rules))
    );
  }
  if (jsonType(expected) === "object") {
    const [e, a] = [expected as Record<string, unknown>, actual as Record<string, unknown>];
    return (
      Object.keys(e).length === Object.keys(a).length &&
      Object.keys(e).every((k) => k in a && conforms(e[k], a[k], `${pointer}/${k}`, rules))
    );
  }
  return expected === actual;
}

type Outcome =
  | { status: "SUCCEEDED"; output: unknown }
  | { status: "FAILED"; error?: string; cause?: string };

/** What the engine would do with a one-state machine; the cause prefix is the engine's. */
function runSingleState(name: string, state: Record<string, unknown>, input: unknown): Outcome {
  const scope = scopeOf(input, name);
  try {
    if (state.Type === "Fail") {
      const dynamic = (text: unknown, field: string) =>
        isIntrinsicCall(text as string)
          ? evaluateIntrinsic(text as string, scope, field)
          : readPath(text as string, scope, field);
      const error = state.ErrorPath === undefined ? state.Error : dynamic(state.ErrorPath, "ErrorPath");
      const cause = state.CausePath === undefined ? state.Cause : dynamic(state.CausePath, "CausePath");
      return { status: "FAILED", error: error as string | undefined, cause: cause as string | undefined };
    }
    const effective = applyInputPath(input, state.InputPath as string | null | undefined, scope);
    const result =
      state.Parameters === undefined
        ? effective
        : applyPayloadTemplate(state.Parameters, { ...scope, input: effective }, "Parameters");
    const merged = applyResultPath(input, state.ResultPath as string | null | undefined, result);
    return {
      status: "SUCCEEDED",
      output: applyOutputPath(merged, state.OutputPath as string | null | undefined, scope),
    };
  } catch (error) {
    if (!(error instanceof StatesError)) throw error;
    const prefix = `An error occurred while executing the state '${name}' (entered at the event id #2). `;
    return { status: "FAILED", error: error.name, cause: prefix + error.cause };
  }
}

/** What a definition validator does with a template: every `.$` value must parse. */
function templateParses(template: unknown): boolean {
  if (typeof template !== "object" || template === null) return true;
  return Object.entries(template).every(([key, value]) => {
    if (!key.endsWith(".$")) return templateParses(value);
    try {
      if (isIntrinsicCall(value as string)) parseIntrinsic(value as string);
      else compilePath(value as string);
      return true;
    } catch {
      return false;
    }
  });
}

const singleState = (c: Case): [string, Record<string, unknown>] | undefined => {
  const states = Object.entries(c.definition.States ?? {});
  const [entry] = states;
  if (states.length !== 1 || !entry || c.definition.QueryLanguage === "JSONata" || entry[1].QueryLanguage)
    return undefined;
  const [, state] = entry;
  const pass = state.Type === "Pass" && state.Result === undefined && state.Assign === undefined;
  const fail = state.Type === "Fail";
  return pass || fail ? entry : undefined;
};

const cases = loadCases();
const runnable = cases.filter((c) => singleState(c));

describe.skipIf(cases.length === 0)("single-state cases recorded against AWS", () => {
  it("finds the cases", () => expect(runnable.length).toBeGreaterThan(100));

  it.each(runnable.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const [name, state] = singleState(c) as [string, Record<string, unknown>];
    if (c.expected.status === "INVALID_DEFINITION") {
      expect(templateParses(state.Parameters)).toBe(false);
      return;
    }
    const outcome = runSingleState(name, state, c.input);
    expect(outcome.status).toBe(c.expected.status);
    const rules = c.expected.nondeterministic ?? [];
    if (outcome.status === "SUCCEEDED") {
      expect(
        conforms(c.expected.output, outcome.output, "/output", rules),
        JSON.stringify(outcome.output),
      ).toBe(true);
    } else {
      expect(conforms(c.expected.error, outcome.error, "/error", rules), `error ${outcome.error}`).toBe(true);
      expect(conforms(c.expected.cause, outcome.cause, "/cause", rules), `cause ${outcome.cause}`).toBe(true);
    }
  });

  const engineOnly = cases.filter((c) => c.name.startsWith("intrinsic_functions.") && !singleState(c));
  it.skip.each(engineOnly.map((c) => [c.name]))(
    "%s (needs the engine: JSONata or more than one state)",
    () => {},
  );
});
