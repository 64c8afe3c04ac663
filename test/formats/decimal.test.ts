import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  canonical,
  compare,
  format,
  impliedDecimal,
  multiply,
  parseDecimal,
  round,
  sum,
} from "../../src/formats/decimal.js";

const decimalText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 6 }))
  .map(([neg, units, scale]) => format({ units: neg ? -units : units, scale }));

describe("decimal helper", () => {
  it("parses, formats and keeps the written scale", () => {
    expect(format(parseDecimal("8.60")!)).toBe("8.60");
    expect(canonical("+0012.50")).toBe("12.50");
    expect(canonical("-0")).toBe("0");
    expect(parseDecimal("1e5")).toBeUndefined();
    expect(parseDecimal("")).toBeUndefined();
    expect(impliedDecimal("5635800", 2)).toBe("56358.00");
    expect(impliedDecimal("-5", 2)).toBe("-0.05");
    expect(impliedDecimal("12.5", 2)).toBeUndefined();
    expect(format(round(parseDecimal("2.345")!, 2))).toBe("2.35");
    expect(format(round(parseDecimal("-2.345")!, 2))).toBe("-2.35");
  });

  it("multiplies and sums exactly, on doubles when safe and on bigint beyond", () => {
    fc.assert(
      fc.property(decimalText, decimalText, (a, b) => {
        const exact = format({
          units: parseDecimal(a)!.units * parseDecimal(b)!.units,
          scale: parseDecimal(a)!.scale + parseDecimal(b)!.scale,
        });
        expect(compare(parseDecimal(multiply(a, b)!)!, parseDecimal(exact)!)).toBe(0);
      }),
      { numRuns: 500, seed: 1 },
    );
    fc.assert(
      fc.property(fc.array(decimalText, { maxLength: 30 }), (values) => {
        const exact = values.reduce((s, v) => add(s, parseDecimal(v)!), parseDecimal("0")!);
        expect(compare(sum(values), exact)).toBe(0);
      }),
      { numRuns: 500, seed: 2 },
    );
    expect(multiply("4", "8.60")).toBe("34.40");
    expect(multiply("-3", "0.5")).toBe("-1.5");
    expect(format(sum(["0.1", "0.2", undefined, "-0.3"]))).toBe("0.0");
  });

  it("parses what the plain-decimal grammar accepts, and nothing else", () => {
    // The grammar the parser implements with a character loop, as a regular expression.
    const grammar = /^([+-])?(\d*)(?:\.(\d*))?$/;
    const reference = (text: string) => {
      const m = grammar.exec(text);
      if (!m || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
      const digits = BigInt(`${m[2]}${m[3] ?? ""}` || "0");
      return { units: m[1] === "-" ? -digits : digits, scale: (m[3] ?? "").length };
    };
    const text = fc.string({ unit: fc.constantFrom(..."0123456789.+-e, "), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(text, decimalText), (s) => {
        expect(parseDecimal(s)).toEqual(reference(s));
      }),
      { numRuns: 2000, seed: 3 },
    );
    expect(parseDecimal("12345678901234567890.5")).toEqual({ units: 123456789012345678905n, scale: 1 });
    expect(parseDecimal("-.5")).toEqual({ units: -5n, scale: 1 });
    expect(parseDecimal("３")).toBeUndefined();
  });
});
