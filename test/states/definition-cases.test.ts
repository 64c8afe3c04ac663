import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { definitionError, validateDefinition } from "../../src/states/definition/index.js";

/**
 * Every conformance case's definition, checked as CreateStateMachine would: the ones AWS rejected
 * must have an error (and, where AWS's message was recorded, the same InvalidDefinition message);
 * every other one AWS accepted and ran, so any error here is a false positive.
 */

const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../shared/conformance/asl/cases");

interface Case {
  name: string;
  definition: unknown;
  stateMachineType: "STANDARD" | "EXPRESS";
  expected: { status: string; error?: string; cause?: string };
}

const cases: Case[] = readdirSync(CASES_DIR)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(CASES_DIR, file), "utf8")) as Case);

const errorsOf = (c: Case) =>
  validateDefinition(c.definition, { type: c.stateMachineType }).filter(
    (diagnostic) => diagnostic.severity === "ERROR",
  );

const rejected = cases.filter((c) => c.expected.status === "INVALID_DEFINITION");
const accepted = cases.filter((c) => c.expected.status !== "INVALID_DEFINITION");

describe("definitions AWS rejected", () => {
  it("are among the cases", () => {
    expect(rejected.length).toBeGreaterThan(0);
  });

  for (const c of rejected) {
    it(c.name, () => {
      const errors = errorsOf(c);
      expect(errors.length).toBeGreaterThan(0);
      if (c.expected.error !== undefined) expect(definitionError(errors).name).toBe(c.expected.error);
      if (c.expected.cause !== undefined) expect(definitionError(errors).message).toBe(c.expected.cause);
    });
  }
});

describe("definitions AWS accepted", () => {
  it("are most of the cases", () => {
    expect(accepted.length).toBeGreaterThan(500);
  });

  for (const c of accepted) {
    it(c.name, () => {
      expect(errorsOf(c)).toEqual([]);
    });
  }
});
