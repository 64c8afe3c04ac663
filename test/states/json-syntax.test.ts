import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jacksonSyntaxError } from "../../src/states/json-syntax.js";

const PREFIX = "com.fasterxml.jackson.core.JsonParseException: ";

describe("JSON syntax errors worded as Step Functions' parser words them", () => {
  it.each([
    ['{"a":1,}', "Unexpected character ('}' (code 125)): was expecting double-quote to start field name", 9],
    ["[1 2]", "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries", 5],
    [
      '{"a" 1}',
      "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value",
      7,
    ],
    ["[1,]", "Unexpected character (']' (code 93)): expected a value", 5],
    [
      '{"a":tru}',
      "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
      9,
    ],
    ['"abc', "Unexpected end-of-input: was expecting closing quote for a string value", 5],
    ['{"a":1}x', "Unexpected character ('x' (code 120)): expected end-of-input", 9],
  ])("%s", (text, reason, column) => {
    expect(jacksonSyntaxError(text)).toBe(
      `${PREFIX}${reason}\n at [Source: (String)"${text}"; line: 1, column: ${column}]`,
    );
  });

  it("names the line, and where an unclosed container opened", () => {
    expect(jacksonSyntaxError('{\n "a": [1,\n 2')).toBe(
      `${PREFIX}Unexpected end-of-input: expected close marker for Array (start marker at [Source: (String)"{\n "a": [1,\n 2"; line: 2, column: 7])\n at [Source: (String)"{\n "a": [1,\n 2"; line: 3, column: 3]`,
    );
  });

  it("agrees with JSON.parse on what is JSON, without deep recursion", () => {
    for (const text of ['{"a":[1,{"b":null}],"c":"\\"x\\""}', "[]", " 1.5e3 ", '"s"', "true"]) {
      expect(jacksonSyntaxError(text)).toBeUndefined();
    }
    expect(jacksonSyntaxError("[".repeat(200_000))).toContain("expected close marker for Array");
  });

  it("cuts a long input short in the source it quotes", () => {
    const message = jacksonSyntaxError(`[${"1,".repeat(1000)}x]`)!;
    expect(message).toContain("Unrecognized token 'x'");
    expect(message).toContain('"[truncated 1503 chars]');
  });

  it("finds no error in any JSON, and an error wherever a cut makes JSON.parse fail", () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), (text, cut) => {
        expect(jacksonSyntaxError(text)).toBeUndefined();
        const shorter = text.slice(0, cut % (text.length + 1));
        let valid = true;
        try {
          JSON.parse(shorter);
        } catch {
          valid = false;
        }
        if (!valid) expect(jacksonSyntaxError(shorter)).toBeDefined();
      }),
    );
  });
});
