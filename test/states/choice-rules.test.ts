import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { evaluateChoiceRule } from "../../src/states/choice-rules.js";
import { StatesError } from "../../src/states/errors.js";
import { jsonEquals } from "../../src/states/paths.js";
import type { Scope } from "../../src/states/scope.js";

const scopeOf = (input: unknown, variables: Record<string, unknown> = {}): Scope => ({
  input,
  context: {
    Execution: { Id: "arn:x", Input: input, Name: "run", RoleArn: "role", StartTime: "2024-01-01T00:00:00Z" },
    State: { EnteredTime: "2024-01-01T00:00:00Z", Name: "Choose", RetryCount: 0 },
    StateMachine: { Id: "arn:sm", Name: "machine" },
  },
  variables,
});

const matches = (rule: Record<string, unknown>, input: unknown, variables: Record<string, unknown> = {}) =>
  evaluateChoiceRule(rule, scopeOf(input, variables));

describe("evaluateChoiceRule", () => {
  it("combines rules with And, Or and Not", () => {
    const between = {
      And: [
        { Variable: "$.value", NumericGreaterThanEquals: 20 },
        { Variable: "$.value", NumericLessThan: 30 },
      ],
    };
    expect(matches(between, { value: 22 })).toBe(true);
    expect(matches(between, { value: 30 })).toBe(false);
    expect(
      matches(
        {
          Or: [
            { Variable: "$.a", IsNull: true },
            { Variable: "$.a", StringEquals: "x" },
          ],
        },
        { a: "x" },
      ),
    ).toBe(true);
    expect(matches({ Not: { Variable: "$.type", StringEquals: "Private" } }, { type: "Public" })).toBe(true);
    expect(matches({ And: [{ Variable: "$.type", StringEquals: "Public" }] }, { type: "Public" })).toBe(true);
  });

  it("compares only values of the operator's type", () => {
    expect(matches({ Variable: "$.v", NumericEquals: 42 }, { v: "42" })).toBe(false);
    expect(matches({ Variable: "$.v", BooleanEquals: false }, { v: 0 })).toBe(false);
    expect(matches({ Variable: "$.v", StringEquals: "1" }, { v: 1 })).toBe(false);
    expect(matches({ Variable: "$.v", StringLessThan: "b" }, { v: "a" })).toBe(true);
    expect(matches({ Variable: "$.v", StringGreaterThanEquals: "AB" }, { v: "A" })).toBe(false);
    expect(matches({ Variable: "$.v", NumericLessThanEquals: 2.5 }, { v: 2.5 })).toBe(true);
  });

  it("tests types with Is* operators", () => {
    expect(matches({ Variable: "$.v", IsNull: true }, { v: null })).toBe(true);
    expect(matches({ Variable: "$.v", IsString: true }, { v: "s" })).toBe(true);
    expect(matches({ Variable: "$.v", IsString: false }, { v: 1 })).toBe(true);
    expect(matches({ Variable: "$.v", IsNumeric: true }, { v: 1.5 })).toBe(true);
    expect(matches({ Variable: "$.v", IsBoolean: true }, { v: false })).toBe(true);
    expect(matches({ Variable: "$.v", IsTimestamp: true }, { v: "2016-08-18T17:33:00Z" })).toBe(true);
    expect(matches({ Variable: "$.v", IsTimestamp: true }, { v: "2016-08-18T17:33:00" })).toBe(false);
  });

  it("IsPresent tolerates a missing Variable; any other operator fails with States.Runtime", () => {
    expect(matches({ Variable: "$.missing", IsPresent: false }, {})).toBe(true);
    expect(matches({ Variable: "$.here", IsPresent: true }, { here: null })).toBe(true);
    let error: unknown;
    try {
      matches({ Variable: "$.missing", StringEquals: "x" }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StatesError);
    expect((error as StatesError).name).toBe("States.Runtime");
    expect((error as StatesError).cause).toContain("'$.missing'");
    expect(() => matches({ Variable: "$.a", StringEqualsPath: "$.missing" }, { a: "x" })).toThrow(
      StatesError,
    );
  });

  it("matches wildcards with StringMatches, with \\* for an asterisk", () => {
    expect(matches({ Variable: "$.f", StringMatches: "log-*.txt" }, { f: "log-2024.txt" })).toBe(true);
    expect(matches({ Variable: "$.f", StringMatches: "*.txt" }, { f: "a.csv" })).toBe(false);
    expect(matches({ Variable: "$.f", StringMatches: "a\\*b" }, { f: "a*b" })).toBe(true);
    expect(matches({ Variable: "$.f", StringMatches: "a\\*b" }, { f: "axxb" })).toBe(false);
    expect(matches({ Variable: "$.f", StringMatches: "(a).[b]" }, { f: "(a).[b]" })).toBe(true);
    expect(matches({ Variable: "$.f", StringMatches: "*" }, { f: 3 })).toBe(false);
  });

  it("compares timestamps as instants, across offsets and fractions", () => {
    const rule = (operator: string, operand: string) => ({ Variable: "$.t", [operator]: operand });
    expect(matches(rule("TimestampEquals", "2012-10-09T19:00:55Z"), { t: "2012-10-09T20:00:55+01:00" })).toBe(
      true,
    );
    expect(
      matches(rule("TimestampLessThan", "2012-10-09T19:00:55.000000002Z"), {
        t: "2012-10-09T19:00:55.000000001Z",
      }),
    ).toBe(true);
    expect(
      matches(rule("TimestampGreaterThan", "1999-12-31T23:59:59Z"), { t: "2000-01-01T00:00:00-00:30" }),
    ).toBe(true);
    expect(matches(rule("TimestampEquals", "2012-10-09T19:00:55Z"), { t: "2012-10-09 19:00:55Z" })).toBe(
      false,
    );
    expect(
      matches(rule("TimestampLessThanEquals", "2016-13-05T21:29:29Z"), { t: "2016-12-05T21:29:29Z" }),
    ).toBe(false);
    expect(matches(rule("TimestampEquals", "2016-02-30T00:00:00Z"), { t: "2016-02-30T00:00:00Z" })).toBe(
      false,
    );
  });

  it("compares with another path, a variable or the context object", () => {
    expect(
      matches({ Variable: "$guess", StringEqualsPath: "$answer" }, {}, { guess: "a", answer: "a" }),
    ).toBe(true);
    expect(matches({ Variable: "$$.Execution.Input.n", NumericLessThanEquals: 0 }, { n: 0 })).toBe(true);
    expect(matches({ Variable: "$.a", NumericGreaterThanPath: "$.b" }, { a: 2, b: 1 })).toBe(true);
    expect(
      matches(
        { Variable: "$.a", TimestampGreaterThanEqualsPath: "$.b" },
        { a: "2024-01-01T00:00:00Z", b: 1 },
      ),
    ).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The 343 choice_operators.* cases recorded against AWS: each runs a Choice state whose branches
// are Pass states with a distinct Result, so the output tells which branch AWS took.

const casesDir = fileURLToPath(new URL("../../../shared/conformance/asl/cases/", import.meta.url));

interface State {
  Type: string;
  Choices?: (Record<string, unknown> & { Next: string })[];
  Default?: string;
  Result?: unknown;
}

interface ChoiceCase {
  name: string;
  definition: { StartAt: string; States: Record<string, State> };
  input: unknown;
  expected: { status: string; output?: unknown };
}

const cases: ChoiceCase[] = existsSync(casesDir)
  ? readdirSync(casesDir)
      .filter((file) => file.startsWith("choice_operators.") && file.endsWith(".json"))
      .map((file) => JSON.parse(readFileSync(`${casesDir}${file}`, "utf8")) as ChoiceCase)
  : [];

/** The state whose Result AWS returned: the branch it took. */
function branchTaken(c: ChoiceCase): string | undefined {
  const matching = Object.entries(c.definition.States).filter(
    ([, state]) => state.Type === "Pass" && jsonEquals(state.Result, c.expected.output),
  );
  return matching.length === 1 ? matching[0]?.[0] : undefined;
}

function branchChosen(choice: State, input: unknown): string | undefined {
  const scope = scopeOf(input);
  return choice.Choices?.find((rule) => evaluateChoiceRule(rule, scope))?.Next ?? choice.Default;
}

describe.skipIf(cases.length === 0)("choice_operators cases recorded against AWS", () => {
  it("finds all of them, each succeeded with an identifiable branch", () => {
    expect(cases.length).toBe(343);
    for (const c of cases) {
      expect(c.expected.status, c.name).toBe("SUCCEEDED");
      expect(branchTaken(c), c.name).toBeDefined();
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const start = c.definition.States[c.definition.StartAt] as State;
    expect(start.Type).toBe("Choice");
    expect(branchChosen(start, c.input)).toBe(branchTaken(c));
  });
});
