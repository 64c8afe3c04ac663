import { describe, expect, it } from "vitest";
import { StatesError } from "../../src/states/errors.js";
import { MAX_RANGE_LENGTH, seededRandom } from "../../src/states/jsonata/functions.js";
import {
  evaluateAssign,
  evaluateExpression,
  evaluateTyped,
  expressionBody,
  isJsonataExpression,
  JSONATA_LIMITS,
  jsonataSyntaxError,
  resolveJsonataValue,
} from "../../src/states/jsonata.js";
import type { ContextObject, Scope } from "../../src/states/scope.js";

const context: ContextObject = {
  Execution: {
    Id: "arn:aws:states:us-east-1:000000000000:execution:machine:run",
    Input: { from: "execution" },
    Name: "run",
    RoleArn: "arn:aws:iam::000000000000:role/inflow",
    StartTime: "2024-01-01T00:00:00.000Z",
  },
  State: { EnteredTime: "2024-01-01T00:00:01.000Z", Name: "S", RetryCount: 0 },
  StateMachine: { Id: "arn:aws:states:us-east-1:000000000000:stateMachine:machine", Name: "machine" },
};

const scopeOf = (
  input: unknown,
  variables: Record<string, unknown> = {},
  extra: Partial<Scope> = {},
): Scope => ({
  input,
  context,
  variables,
  ...extra,
});

const evaluate = (body: string, scope: Scope = scopeOf({})) =>
  evaluateExpression(`{% ${body} %}`, scope, "Output");

/** The StatesError an evaluation rejects with. */
const failure = async (promise: Promise<unknown>): Promise<StatesError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error("expected the evaluation to fail");
};

describe("what counts as an expression", () => {
  it("is exactly a string starting with {% and ending with %}", () => {
    expect(isJsonataExpression("{% 1 %}")).toBe(true);
    expect(isJsonataExpression("{%1%}")).toBe(true);
    expect(isJsonataExpression(" {% 1 %}")).toBe(false);
    expect(isJsonataExpression("{% 1 %} ")).toBe(false);
    expect(isJsonataExpression("{%}")).toBe(false);
    expect(isJsonataExpression("$states.input")).toBe(false);
    expect(isJsonataExpression(1)).toBe(false);
  });

  it("quotes the trimmed body", () => {
    expect(expressionBody("{%   $x  %}")).toBe("$x");
  });

  it("reports syntax errors with JSONata's code", () => {
    expect(jsonataSyntaxError("$x + 1")).toBeUndefined();
    expect(jsonataSyntaxError("1 +")).toMatch(/^S0207: /);
  });
});

describe("bindings", () => {
  it("exposes $states.input, $states.context and the variables", async () => {
    const scope = scopeOf({ a: [1, 2] }, { total: 3 });
    expect(await evaluate("$states.input.a", scope)).toEqual([1, 2]);
    expect(await evaluate("$states.context.State.Name", scope)).toBe("S");
    expect(await evaluate("$states.context.Execution.Input.from", scope)).toBe("execution");
    expect(await evaluate("$total + 1", scope)).toBe(4);
  });

  it("exposes $states.result and $states.errorOutput only when the scope has them", async () => {
    const scope = scopeOf({}, {}, { result: { ok: 1 }, errorOutput: { Error: "E" } });
    expect(await evaluate("$states.result.ok", scope)).toBe(1);
    expect(await evaluate("$states.errorOutput.Error", scope)).toBe("E");
    expect((await failure(evaluate("$states.result"))).cause).toContain("returned nothing (undefined)");
  });

  it("binds $ to nothing, as there is no context value at the top level", async () => {
    expect((await failure(evaluate("$"))).cause).toContain("returned nothing (undefined)");
  });

  it("returns plain copies, not references into the scope", async () => {
    const input = { list: [{ n: 1 }] };
    const result = (await evaluate("$states.input.list", scopeOf(input))) as Array<{ n: number }>;
    expect(result).toEqual([{ n: 1 }]);
    result[0]!.n = 2;
    expect(input.list[0]!.n).toBe(1);
  });
});

describe("Step Functions' added functions", () => {
  it("$partition chunks an array", async () => {
    expect(await evaluate("$partition([1,2,3,4,5], 2)")).toEqual([[1, 2], [3, 4], [5]]);
    expect(await evaluate("$partition([1,2,3], 2.9)")).toEqual([[1, 2], [3]]);
    expect((await failure(evaluate("$partition([1], 0)"))).cause).toContain("positive integer");
  });

  it("$range counts from start to end by step, and a single value is a value", async () => {
    expect(await evaluate("$range(0, 10, 2)")).toEqual([0, 2, 4, 6, 8, 10]);
    expect(await evaluate("$range(10, 0, -5)")).toEqual([10, 5, 0]);
    expect(await evaluate("$range(1, 9, 9)")).toBe(1);
    expect((await failure(evaluate("$range(0, 1, 0)"))).cause).toContain("must not be zero");
    expect((await failure(evaluate(`$range(0, ${MAX_RANGE_LENGTH}, 1)`))).cause).toContain("more than");
  });

  it("$hash digests in the documented algorithms", async () => {
    expect(await evaluate("$hash('abc', 'MD5')")).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(await evaluate("$hash('abc', 'SHA-1')")).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(await evaluate("$hash('abc', 'SHA-256')")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect((await failure(evaluate("$hash('abc', 'SHA-3')"))).cause).toContain("not supported");
  });

  it("$random is in [0, 1) and repeatable with a seed", async () => {
    const unseeded = (await evaluate("$random()")) as number;
    expect(unseeded).toBeGreaterThanOrEqual(0);
    expect(unseeded).toBeLessThan(1);
    const seeded = await evaluate("$random(42)");
    expect(await evaluate("$random(42)")).toBe(seeded);
    expect(await evaluate("$random(43)")).not.toBe(seeded);
  });

  it("seeds like java.util.Random", () => {
    // new java.util.Random(42).nextDouble()
    expect(seededRandom(42)).toBe(0.7275636800328681);
  });

  it("$uuid makes v4 UUIDs and $parse reads JSON text", async () => {
    expect(await evaluate("$uuid()")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(await evaluate(`$parse('{"a":[1,true]}')`)).toEqual({ a: [1, true] });
    expect((await failure(evaluate("$parse('{')"))).cause).toContain("not valid JSON");
  });

  it("leaves out $eval and keeps JSONata's own library", async () => {
    const error = await failure(evaluate("$eval('1')"));
    expect(error.cause).toContain("T1006: Attempted to invoke a non-function");
    expect(await evaluate("$merge([{'a':1},{'b':2}])")).toEqual({ a: 1, b: 2 });
  });
});

describe("errors", () => {
  it("names the expression and the field in AWS's words", async () => {
    const nothing = await failure(evaluateExpression("{% $doesNotExist %}", scopeOf({}), "Assign/result"));
    expect(nothing.name).toBe("States.QueryEvaluationError");
    expect(nothing.cause).toBe(
      "The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined).",
    );
    const thrown = await failure(evaluate("$notAFunction(1)"));
    expect(thrown.cause).toBe(
      "The JSONata expression '$notAFunction(1)' specified for the field 'Output' threw an error during evaluation. " +
        "T1006: Attempted to invoke a non-function",
    );
    const lambda = await failure(evaluate("function($x){$x}"));
    expect(lambda.cause).toBe(
      "The JSONata expression 'function($x){$x}' specified for the field 'Output' returned an unsupported result type.",
    );
  });

  it("checks the type a field expects", async () => {
    expect(await evaluateTyped("{% [1] %}", scopeOf({}), "Items", "array")).toEqual([1]);
    const wrong = await failure(evaluateTyped("{% {'foo': 'bar'} %}", scopeOf({}), "Items", "array"));
    expect(wrong.cause).toBe(
      "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an unexpected result type. " +
        `Expected 'array', but was 'object' for value: {"foo":"bar"}`,
    );
  });

  it("rejects a string that is not an expression as a programming error", async () => {
    await expect(evaluateExpression("$x", scopeOf({}), "Output")).rejects.toThrow(TypeError);
  });
});

describe("limits", () => {
  it("stops runaway recursion", async () => {
    const error = await failure(evaluate("($f := function($n){ 1 + $f($n + 1) }; $f(0))"));
    expect(error.cause).toMatch(/threw an error during evaluation\. D1011: Stack overflow/);
  });

  it("stops a loop that never ends (a tail call uses no stack) after the time limit", async () => {
    const error = await failure(evaluate("($f := function($n){ $f($n + 1) }; $f(0))"));
    expect(error.cause).toContain(`D1012: Evaluation timeout after ${JSONATA_LIMITS.timeoutMs} milliseconds`);
  });

  it("allows ordinary recursion", async () => {
    expect(await evaluate("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))")).toBe(1000);
  });

  it("caps sequence length", async () => {
    const error = await failure(evaluate(`[1..${JSONATA_LIMITS.sequenceLength + 1}]`));
    expect(error.cause).toContain("D2015");
  });
});

describe("resolving field values", () => {
  it("evaluates only exact {% %} strings, at any depth, and names nested fields", async () => {
    const value = {
      literal: " {% $states.input %} ",
      path: "$.a",
      nested: { list: [1, "{% $states.input.a %}", { deep: "{% $x %}" }] },
      n: null,
    };
    expect(await resolveJsonataValue(value, scopeOf({ a: "A" }, { x: true }), "Output")).toEqual({
      literal: " {% $states.input %} ",
      path: "$.a",
      nested: { list: [1, "A", { deep: true }] },
      n: null,
    });
    const error = await failure(resolveJsonataValue({ a: [{ b: "{% $nope %}" }] }, scopeOf({}), "Output"));
    expect(error.cause).toContain("specified for the field 'Output/a[0]/b'");
  });
});

describe("Assign", () => {
  it("evaluates every value against the variables as they were on entry", async () => {
    const assigned = await evaluateAssign(
      { x: "{% $a %}", nextX: "{% $x %}", fixed: [1] },
      scopeOf({}, { x: 3, a: 6 }),
    );
    expect(assigned).toEqual({ x: 6, nextX: 3, fixed: [1] });
  });

  it("names the variable in causes", async () => {
    const error = await failure(evaluateAssign({ result: "{% $doesNotExist %}" }, scopeOf({})));
    expect(error.cause).toContain("specified for the field 'Assign/result'");
  });
});
