import { describe, expect, it } from "vitest";
import { StatesError } from "../../src/states/errors.js";
import { evaluateIntrinsic, isIntrinsicCall, parseIntrinsic } from "../../src/states/intrinsics/index.js";
import type { Scope } from "../../src/states/scope.js";

const input = {
  list: [1, 2, 3, 4, 5],
  text: "a,b;c",
  object: { Arg1: 1, Arg2: [] },
  name: "Ada",
  items: [
    { id: "x,y", n: 1 },
    { id: "z", n: 2 },
  ],
};

const scope: Scope = {
  input,
  context: {
    Execution: { Id: "arn:x", Input: input, Name: "run", RoleArn: "role", StartTime: "2024-01-01T00:00:00Z" },
    State: { EnteredTime: "2024-01-01T00:00:00Z", Name: "S", RetryCount: 0 },
    StateMachine: { Id: "arn:sm", Name: "machine" },
  },
  variables: { count: 2 },
};

const run = (text: string) => evaluateIntrinsic(text, scope, "value.$");

function failure(text: string): StatesError {
  try {
    run(text);
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error(`expected ${text} to fail`);
}

describe("isIntrinsicCall", () => {
  it("tells calls from paths", () => {
    expect(isIntrinsicCall("States.Format('x')")).toBe(true);
    expect(isIntrinsicCall("States.UUID ()")).toBe(true);
    expect(isIntrinsicCall("$.States.Format")).toBe(false);
    expect(isIntrinsicCall("States.Format")).toBe(false);
  });
});

describe("parseIntrinsic", () => {
  it("reads literals, paths and nested calls", () => {
    expect(parseIntrinsic("States.Array('a', 12, -1.5, true, false, null, $.x[0], States.UUID())")).toEqual({
      kind: "call",
      name: "States.Array",
      args: [
        { kind: "literal", value: "a", raw: "a" },
        { kind: "literal", value: 12 },
        { kind: "literal", value: -1.5 },
        { kind: "literal", value: true },
        { kind: "literal", value: false },
        { kind: "literal", value: null },
        { kind: "path", path: "$.x[0]" },
        { kind: "call", name: "States.UUID", args: [] },
      ],
    });
  });

  it("keeps commas and parentheses inside a path argument", () => {
    expect(run("States.Array($.items[?(@.id == 'x,y')].n, $.list[0,1])")).toEqual([[1], [1, 2]]);
  });

  it("accepts only \\' \\{ \\} \\\\ as escapes in strings", () => {
    expect(run("States.Array('it\\'s', 'a\\\\b')")).toEqual(["it's", "a\\b"]);
    for (const bad of ["States.Format('say \\\"hi\\\"')", "States.Format('\\n')"]) {
      expect(() => parseIntrinsic(bad)).toThrow(StatesError);
    }
  });

  it("rejects bad syntax, unknown functions and wrong numbers of arguments", () => {
    for (const bad of [
      "States.Format(",
      "States.Format('a'",
      "States.Format('a') extra",
      "States.Nope(1)",
      "States.ArrayLength()",
      "States.UUID(1)",
      "States.Array(1,)",
      "States.Array(abc)",
      "States.Array($.a[)",
    ]) {
      expect(() => parseIntrinsic(bad), bad).toThrow(StatesError);
    }
  });
});

describe("array functions", () => {
  it("States.Array", () => {
    expect(run("States.Array($.name, $count, 'x')")).toEqual(["Ada", 2, "x"]);
  });

  it("States.ArrayPartition rounds the chunk size and rejects sizes below 1", () => {
    expect(run("States.ArrayPartition($.list, 2)")).toEqual([[1, 2], [3, 4], [5]]);
    expect(run("States.ArrayPartition($.list, 2.6)")).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(failure("States.ArrayPartition($.list, 0)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.ArrayPartition($.name, 1)").name).toBe("States.IntrinsicFailure");
  });

  it("States.ArrayContains compares JSON values", () => {
    expect(run("States.ArrayContains($.list, 3)")).toBe(true);
    expect(run('States.ArrayContains($.items, States.StringToJson(\'{"n":2,"id":"z"}\'))')).toBe(true);
    expect(run("States.ArrayContains($.list, '3')")).toBe(false);
  });

  it("States.ArrayRange includes the end when a step lands on it, and allows 1000 items at most", () => {
    expect(run("States.ArrayRange(1, 9, 2)")).toEqual([1, 3, 5, 7, 9]);
    expect(run("States.ArrayRange(0, 10, 3)")).toEqual([0, 3, 6, 9]);
    expect(run("States.ArrayRange(5, 1, -2)")).toEqual([5, 3, 1]);
    expect(run("States.ArrayRange(5, 1, 1)")).toEqual([]);
    expect(run("States.ArrayRange(1, 1000, 1)")).toHaveLength(1000);
    expect(failure("States.ArrayRange(0, 1000, 1)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.ArrayRange(1, 9, 0)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.ArrayRange(1.5, 9, 1)").name).toBe("States.IntrinsicFailure");
  });

  it("States.ArrayGetItem, States.ArrayLength, States.ArrayUnique", () => {
    expect(run("States.ArrayGetItem($.list, 4)")).toBe(5);
    expect(failure("States.ArrayGetItem($.list, 5)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.ArrayGetItem($.list, -1)").name).toBe("States.IntrinsicFailure");
    expect(run("States.ArrayLength($.items)")).toBe(2);
    expect(
      run(
        "States.ArrayUnique(States.Array(1, 1, '1', null, null, $.object, States.JsonMerge($.object, $.object, false)))",
      ),
    ).toEqual([1, "1", null, { Arg1: 1, Arg2: [] }]);
  });
});

describe("string and encoding functions", () => {
  it("States.StringSplit splits on every delimiter character and drops empty pieces", () => {
    expect(run("States.StringSplit($.text, ',;')")).toEqual(["a", "b", "c"]);
    expect(run("States.StringSplit(',,a,,', ',')")).toEqual(["a"]);
    expect(run("States.StringSplit('', ',')")).toEqual([]);
  });

  it("States.Base64Encode and States.Base64Decode, over UTF-8", () => {
    expect(run("States.Base64Encode('Data to encode')")).toBe("RGF0YSB0byBlbmNvZGU=");
    expect(run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')")).toBe("Data to encode");
    expect(run("States.Base64Decode(States.Base64Encode('héllo ✓'))")).toBe("héllo ✓");
    expect(failure("States.Base64Decode('not base64!')").name).toBe("States.IntrinsicFailure");
    expect(failure("States.Base64Encode(1)").name).toBe("States.IntrinsicFailure");
  });
});

describe("JSON functions", () => {
  it("States.StringToJson and States.JsonToString", () => {
    expect(run("States.StringToJson('{\"a\": [1, 2]}')")).toEqual({ a: [1, 2] });
    expect(run("States.StringToJson(' ')")).toBeNull();
    expect(failure("States.StringToJson('{oops')").name).toBe("States.IntrinsicFailure");
    expect(run("States.JsonToString($.object)")).toBe('{"Arg1":1,"Arg2":[]}');
    expect(run("States.JsonToString($.name)")).toBe('"Ada"');
  });

  it("States.JsonMerge is shallow, the second object winning, and refuses a deep merge", () => {
    expect(
      run(
        'States.JsonMerge(States.StringToJson(\'{"a":{"x":1},"b":1}\'), States.StringToJson(\'{"a":{"y":2}}\'), false)',
      ),
    ).toEqual({ a: { y: 2 }, b: 1 });
    expect(failure("States.JsonMerge($.object, $.object, true)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.JsonMerge($.list, $.object, false)").name).toBe("States.IntrinsicFailure");
  });
});

describe("math functions", () => {
  it("States.MathAdd rounds halves up, like Java's Math.round", () => {
    expect(run("States.MathAdd($count, -1)")).toBe(1);
    expect(run("States.MathAdd(1.5, -1.5)")).toBe(1);
    expect(run("States.MathAdd(-0.5, 0)")).toBe(0);
    expect(failure("States.MathAdd('1', 1)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.MathAdd(2147483648, 0)").name).toBe("States.IntrinsicFailure");
  });

  it("States.MathRandom stays in [start, end) and repeats itself for a seed, as java.util.Random does", () => {
    for (let i = 0; i < 50; i++) {
      const value = run("States.MathRandom(-3, 3)") as number;
      expect(Number.isInteger(value) && value >= -3 && value < 3).toBe(true);
    }
    expect(run("States.MathRandom(0, 10, 42)")).toBe(0); // new java.util.Random(42).nextInt(10)
    expect(run("States.MathRandom(1, 1000, 7)")).toBe(run("States.MathRandom(1, 1000, 7)"));
    expect(failure("States.MathRandom(5, 5)").name).toBe("States.IntrinsicFailure");
  });
});

describe("hash and UUID", () => {
  it("States.Hash with each algorithm AWS offers", () => {
    expect(run("States.Hash('', 'MD5')")).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(run("States.Hash('input', 'SHA-1')")).toBe("140f86aae51ab9e1cda9b4254fe98a74eb54c1a1");
    for (const [algorithm, length] of [
      ["SHA-256", 64],
      ["SHA-384", 96],
      ["SHA-512", 128],
    ] as const) {
      expect(run(`States.Hash($.name, '${algorithm}')`)).toHaveLength(length);
    }
    expect(failure("States.Hash('x', 'SHA-3')").name).toBe("States.IntrinsicFailure");
  });

  it("States.UUID returns a version 4 UUID", () => {
    expect(run("States.UUID()")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe("States.Format", () => {
  it("fills placeholders, printing values the way Java's toString does", () => {
    expect(run("States.Format('Hello, {}! {} {} {} {}', $.name, $count, $.object, null, $.list)")).toBe(
      "Hello, Ada! 2 {Arg1=1, Arg2=[]} null [1, 2, 3, 4, 5]",
    );
    expect(run("States.Format('{}', 1.5)")).toBe("1.5");
  });

  it("takes escaped braces in a literal template as text", () => {
    expect(run("States.Format('\\{} is {}', $.name)")).toBe("{} is Ada");
    expect(run("States.Format('\\{\\} \\\\ {}', 'x')")).toBe("{} \\ x");
  });

  it("takes a template from a path", () => {
    const withTemplate: Scope = { ...scope, input: { template: "Hi {}.", who: "Bob" } };
    expect(evaluateIntrinsic("States.Format($.template, $.who)", withTemplate, "value.$")).toBe("Hi Bob.");
  });

  it("needs as many values as placeholders", () => {
    expect(failure("States.Format('{} {}', 1)").name).toBe("States.IntrinsicFailure");
    expect(failure("States.Format($.list)").name).toBe("States.IntrinsicFailure");
  });
});

describe("path arguments", () => {
  it("fail like any path in the field when they match nothing", () => {
    const error = failure("States.Format('{}', $.missing)");
    expect(error.name).toBe("States.Runtime");
    expect(error.cause).toMatch(
      /^The JSONPath '\$\.missing' specified for the field 'value\.\$' could not be found/,
    );
  });
});
