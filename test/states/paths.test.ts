import { describe, expect, it } from "vitest";
import { StatesError } from "../../src/states/errors.js";
import {
  applyInputPath,
  applyOutputPath,
  applyResultPath,
  compilePath,
  jsonEquals,
  readPath,
} from "../../src/states/paths.js";
import type { Scope } from "../../src/states/scope.js";

const input = {
  store: {
    book: [
      { title: "A", price: 8, tags: ["x"], isbn: "1" },
      { title: "B", price: 12, available: false },
      { title: "C", price: 30, isbn: "3" },
    ],
    bicycle: { color: "red", price: 20 },
  },
  list: [1, 2, 3, 4, 5],
  "odd key": 1,
  nil: null,
};

const scope = (data: unknown = input, variables: Record<string, unknown> = {}): Scope => ({
  input: data,
  context: {
    Execution: { Id: "arn:x", Input: {}, Name: "exec", RoleArn: "role", StartTime: "2024-01-01T00:00:00Z" },
    State: { EnteredTime: "2024-01-01T00:00:00Z", Name: "S", RetryCount: 0 },
    StateMachine: { Id: "arn:sm", Name: "sm" },
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

const read = (path: string, s: Scope = scope()) => readPath(path, s, "value.$");

describe("readPath: definite paths", () => {
  it("reads the root, dotted and bracketed names, quoted names and indexes", () => {
    expect(read("$")).toEqual(input);
    expect(read("$.store.bicycle.color")).toBe("red");
    expect(read("$['store']['bicycle'][\"color\"]")).toBe("red");
    expect(read("$['odd key']")).toBe(1);
    expect(read("$.list[0]")).toBe(1);
    expect(read("$.list[-1]")).toBe(5);
    expect(read("$.store.book[1].title")).toBe("B");
    expect(read("$.nil")).toBeNull();
  });

  it("reads the context object and variables", () => {
    expect(read("$$.Execution.Name")).toBe("exec");
    expect(read("$$.StateMachine")).toEqual({ Id: "arn:sm", Name: "sm" });
    const withVariables = scope(input, { answer: 42, deep: { list: [{ a: "x" }] } });
    expect(read("$answer", withVariables)).toBe(42);
    expect(read("$deep.list[0].a", withVariables)).toBe("x");
    expect(read("$deep['list'][0]", withVariables)).toEqual({ a: "x" });
  });

  it("merges a union of names at the end of a path into an object", () => {
    expect(read("$.store.bicycle['color', 'price', 'missing']")).toEqual({ color: "red", price: 20 });
  });

  it("keeps a backslash before a quote that does not delimit the name", () => {
    const data = { 'Test\\""Name"': "value" };
    expect(read('$[\'Test\\""Name"\']', scope(data))).toBe("value");
    expect(read("$['it\\'s']", scope({ "it's": 1 }))).toBe(1);
  });

  it("fails on a missing value with AWS's cause, printing the input as compact JSON", () => {
    const error = failure(() => read("$.no_such_jsonpath", scope({ "int-literal": 0 })));
    expect(error.name).toBe("States.Runtime");
    expect(error.cause).toBe(
      `The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'`,
    );
    for (const path of ["$.store.nothing.deeper", "$.list[9]", "$.list.x", "$.nil.x", "$undefinedVariable"]) {
      expect(failure(() => read(path)).name).toBe("States.Runtime");
    }
  });
});

describe("readPath: indefinite paths return lists", () => {
  it("wildcards, slices and index unions", () => {
    expect(read("$.store.book[*].title")).toEqual(["A", "B", "C"]);
    expect(read("$.store.bicycle.*")).toEqual(["red", 20]);
    expect(read("$.list[1:3]")).toEqual([2, 3]);
    expect(read("$.list[:2]")).toEqual([1, 2]);
    expect(read("$.list[-2:]")).toEqual([4, 5]);
    expect(read("$.list[3:]")).toEqual([4, 5]);
    expect(read("$.list[0,2,9]")).toEqual([1, 3]);
  });

  it("recursive descent", () => {
    expect(read("$..price")).toEqual([8, 12, 30, 20]);
    expect(read("$.store..title")).toEqual(["A", "B", "C"]);
  });

  it("filters on objects only, with comparisons, existence, logic and regexes", () => {
    expect(read("$.store.book[?(@.price < 10)].title")).toEqual(["A"]);
    expect(read("$.store.book[?(@.price >= 12 && @.price <= 30)].title")).toEqual(["B", "C"]);
    expect(read("$.store.book[?(@.title == 'B' || @.title == \"C\")].price")).toEqual([12, 30]);
    expect(read("$.store.book[?(@.isbn)].title")).toEqual(["A", "C"]);
    expect(read("$.store.book[?(@.available)].title")).toEqual(["B"]);
    expect(read("$.store.book[?(!@.isbn)].title")).toEqual(["B"]);
    expect(read("$.store.book[?(@.title =~ /[ab]/i)].title")).toEqual(["A", "B"]);
    expect(read("$.store.book[?(@.title in ['A', 'C'])].title")).toEqual(["A", "C"]);
    expect(read("$.store.book[?(@.title nin ['A', 'C'])].title")).toEqual(["B"]);
    expect(read("$.store.book[?(@.tags size 1)].title")).toEqual(["A"]);
    expect(read("$.store.book[?(@.price > $.store.bicycle.price)].title")).toEqual(["C"]);
    expect(read("$.list[?(@ > 1)]")).toEqual([]);
  });

  it("yields an empty list, not an error, when nothing matches", () => {
    for (const path of [
      "$.item.items[*]",
      "$.items[1:]",
      "$.item.items[1:5].itemValue",
      "$[*]",
      "$..nothing",
    ]) {
      expect(read(path, scope({}))).toEqual([]);
    }
  });

  it("length() counts the items of an array; other functions are not found, as on AWS", () => {
    expect(read("$.list.length()")).toBe(5);
    expect(read("$.store.book[*].length()")).toBe(3);
    expect(failure(() => read("$.list.sum()")).name).toBe("States.Runtime");
  });
});

describe("compilePath", () => {
  it("classifies definite paths", () => {
    expect(compilePath("$.a['b'][0]").definite).toBe(true);
    expect(compilePath("$.a[*]").definite).toBe(false);
    expect(compilePath("$..a").definite).toBe(false);
    expect(compilePath("$.a[?(@.b)]").definite).toBe(false);
  });

  it("rejects malformed paths with a States.Runtime error", () => {
    for (const path of ["a.b", "$.", "$.a[", "$['a'", "$.a[x]", "$.a[1:2:3]", "$.a b"]) {
      expect(failure(() => compilePath(path)).name).toBe("States.Runtime");
    }
    expect(failure(() => compilePath("$['a', 'b'].v")).cause).toBe(
      "Invalid path '$['a', 'b'].v' : Multi properties can only be used as path leafs: $['a', 'b']",
    );
  });
});

describe("applyInputPath / applyOutputPath", () => {
  it("undefined keeps the value, null makes it {}", () => {
    expect(applyInputPath(input, undefined, scope())).toBe(input);
    expect(applyInputPath(input, null, scope())).toEqual({});
    expect(applyOutputPath(input, null, scope())).toEqual({});
    expect(applyOutputPath({ a: { b: 1 } }, "$.a", scope())).toEqual({ b: 1 });
    expect(applyInputPath(input, "$$.Execution.Name", scope())).toBe("exec");
  });

  it("fails with Jayway's message for a missing value", () => {
    const error = failure(() => applyInputPath({ "int-literal": 0 }, "$.NoSuchInputPath", scope()));
    expect(error.name).toBe("States.Runtime");
    expect(error.cause).toBe("Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']");
    expect(failure(() => applyOutputPath({ a: {} }, "$.a.b.c", scope())).cause).toBe(
      "Invalid path '$.a.b.c' : Missing property in path $['a']['b']",
    );
  });
});

describe("applyResultPath", () => {
  it("replaces, discards or places the result", () => {
    expect(applyResultPath({ a: 1 }, undefined, "r")).toBe("r");
    expect(applyResultPath({ a: 1 }, "$", "r")).toBe("r");
    expect(applyResultPath({ a: 1 }, null, "r")).toEqual({ a: 1 });
    expect(applyResultPath({ a: 1 }, "$.b", "r")).toEqual({ a: 1, b: "r" });
    expect(applyResultPath({ a: 1 }, "$.b.c.d", "r")).toEqual({ a: 1, b: { c: { d: "r" } } });
    expect(applyResultPath({ a: { x: 1 } }, "$.a.y", "r")).toEqual({ a: { x: 1, y: "r" } });
    expect(applyResultPath({ list: [0, 0] }, "$.list[1]", "r")).toEqual({ list: [0, "r"] });
  });

  it("does not modify the input", () => {
    const original = { a: { b: 1 } };
    applyResultPath(original, "$.a.c", 2);
    expect(original).toEqual({ a: { b: 1 } });
  });

  it("fails with States.ResultPathMatchFailure when the path does not fit the input", () => {
    const error = failure(() => applyResultPath("text", "$.a", 1));
    expect(error.name).toBe("States.ResultPathMatchFailure");
    expect(error.cause).toBe('Unable to apply ReferencePath $.a to input "text"');
    expect(failure(() => applyResultPath({ a: 5 }, "$.a.b", 1)).name).toBe("States.ResultPathMatchFailure");
    expect(failure(() => applyResultPath({ list: [] }, "$.list[0]", 1)).name).toBe(
      "States.ResultPathMatchFailure",
    );
  });
});

describe("jsonEquals", () => {
  it("compares deeply, ignoring key order", () => {
    expect(jsonEquals({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEquals([1, 2], [2, 1])).toBe(false);
    expect(jsonEquals(1, "1")).toBe(false);
  });
});
