import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { StatesError } from "../../src/states/errors.js";
import {
  evaluateAssign,
  evaluateTyped,
  isJsonataExpression,
  resolveJsonataValue,
} from "../../src/states/jsonata.js";
import type { ContextObject, Scope } from "../../src/states/scope.js";

/**
 * The JSONata conformance cases that need no interpreter: a chain of JSONata Pass states ending in a
 * Pass, a Fail, or a Map whose processor only passes items through. Each state's fields are
 * evaluated here in order, as the interpreter would, and compared with what AWS recorded. Cases
 * that need more (Choice, Wait, JSONPath states, Map input checks) are listed as skipped.
 */

const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../shared/conformance/asl/cases");

interface Case {
  name: string;
  definition: { StartAt: string; States: Record<string, Record<string, unknown>>; QueryLanguage?: string };
  input: unknown;
  features: string[];
  expected: { status: string; output?: unknown; error?: string; cause?: string };
}

type Outcome =
  | { status: "SUCCEEDED"; output: unknown }
  | { status: "FAILED"; error?: string; cause?: string };

const cases: Case[] = readdirSync(CASES_DIR)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(CASES_DIR, file), "utf8")) as Case)
  .filter((c) => c.features.includes("jsonata"));

const context = (stateName: string): ContextObject => ({
  Execution: {
    Id: "arn:aws:states:us-east-1:000000000000:execution:machine:run",
    Input: {},
    Name: "run",
    RoleArn: "arn:aws:iam::000000000000:role/inflow",
    StartTime: "2024-01-01T00:00:00.000Z",
  },
  State: { EnteredTime: "2024-01-01T00:00:00.000Z", Name: stateName, RetryCount: 0 },
  StateMachine: { Id: "arn:aws:states:us-east-1:000000000000:stateMachine:machine", Name: "machine" },
});

const PASS_FIELDS = new Set(["Type", "QueryLanguage", "Comment", "Next", "End", "Output", "Assign"]);
const FAIL_FIELDS = new Set(["Type", "QueryLanguage", "Comment", "Error", "Cause"]);
const MAP_FIELDS = new Set([
  "Type",
  "QueryLanguage",
  "Comment",
  "End",
  "Items",
  "ItemProcessor",
  "MaxConcurrency",
  "ToleratedFailurePercentage",
]);

const only = (state: Record<string, unknown>, allowed: Set<string>) =>
  Object.keys(state).every((k) => allowed.has(k));

/** A Map processor that returns each item unchanged: one Pass state with nothing but End. */
const passesItemsThrough = (processor: unknown): boolean => {
  const { StartAt, States } = (processor ?? {}) as {
    StartAt?: string;
    States?: Record<string, Record<string, unknown>>;
  };
  const states = Object.values(States ?? {});
  return (
    states.length === 1 && States?.[StartAt ?? ""] !== undefined && only(states[0]!, new Set(["Type", "End"]))
  );
};

/** Why this case needs the interpreter, or undefined when this test can run it. */
const skipReason = (c: Case): string | undefined => {
  if (c.expected.status !== "SUCCEEDED" && c.expected.status !== "FAILED")
    return `status ${c.expected.status}`;
  const seen = new Set<string>();
  let name: string | undefined = c.definition.StartAt;
  while (name !== undefined) {
    if (seen.has(name)) return "a loop";
    seen.add(name);
    const state: Record<string, unknown> | undefined = c.definition.States[name];
    if (state === undefined) return `no state ${name}`;
    const language = state.QueryLanguage ?? c.definition.QueryLanguage ?? "JSONPath";
    if (language !== "JSONata") return `state ${name} is ${language}`;
    if (state.Type === "Pass" && only(state, PASS_FIELDS)) {
      name = state.End === true ? undefined : (state.Next as string);
    } else if (state.Type === "Fail" && only(state, FAIL_FIELDS)) {
      name = undefined;
    } else if (
      state.Type === "Map" &&
      only(state, MAP_FIELDS) &&
      state.Items !== undefined &&
      state.End === true
    ) {
      if (!passesItemsThrough(state.ItemProcessor)) return `map ${name} has a processor that does more`;
      name = undefined;
    } else {
      return `state ${name} (${String(state.Type)}) needs the interpreter`;
    }
  }
  return undefined;
};

const run = async (c: Case): Promise<Outcome> => {
  let input = c.input;
  let variables: Record<string, unknown> = {};
  let name = c.definition.StartAt;
  // Each Pass state writes an Entered and an Exited event after ExecutionStarted (#1).
  for (let eventId = 2; ; eventId += 2) {
    const state = c.definition.States[name]!;
    const scope: Scope = { input, context: context(name), variables };
    try {
      if (state.Type === "Fail") {
        const error =
          state.Error === undefined ? undefined : await resolveJsonataValue(state.Error, scope, "Error");
        const cause =
          state.Cause === undefined ? undefined : await resolveJsonataValue(state.Cause, scope, "Cause");
        return { status: "FAILED", error: error as string | undefined, cause: cause as string | undefined };
      }
      if (state.Type === "Map") {
        for (const field of ["MaxConcurrency", "ToleratedFailurePercentage"]) {
          if (state[field] !== undefined) await resolveJsonataValue(state[field], scope, field);
        }
        const items = isJsonataExpression(state.Items)
          ? await evaluateTyped(state.Items, scope, "Items", "array")
          : await resolveJsonataValue(state.Items, scope, "Items");
        return { status: "SUCCEEDED", output: items };
      }
      const output =
        state.Output === undefined ? input : await resolveJsonataValue(state.Output, scope, "Output");
      const assigned = await evaluateAssign((state.Assign ?? {}) as Record<string, unknown>, scope);
      if (state.End === true) return { status: "SUCCEEDED", output };
      input = output;
      variables = { ...variables, ...assigned };
      name = state.Next as string;
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const cause = `An error occurred while executing the state '${name}' (entered at the event id #${eventId}). ${error.cause}`;
      return { status: "FAILED", error: error.name, cause };
    }
  }
};

describe("JSONata conformance cases without an interpreter", () => {
  it("has JSONata cases to run", () => {
    expect(cases.filter((c) => skipReason(c) === undefined).length).toBeGreaterThan(40);
  });

  for (const c of cases) {
    const reason = skipReason(c);
    it.skipIf(reason !== undefined)(
      reason === undefined ? c.name : `${c.name} (needs ${reason})`,
      async () => {
        const outcome = await run(c);
        const { status, output, error, cause } = c.expected;
        if (status === "SUCCEEDED") {
          expect(outcome).toEqual({ status, output });
        } else {
          expect(outcome).toEqual({ status, error, cause });
        }
      },
    );
  }
});
