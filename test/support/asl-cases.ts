import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The AWS-recorded cases of ../shared/conformance/asl (see its README for the comparison rules). */
export const CASES_DIR = fileURLToPath(new URL("../../../shared/conformance/asl/cases/", import.meta.url));

export interface Nondeterministic {
  path: string;
  match: "pattern" | "type" | "any" | "shape";
  pattern?: string;
}

export interface AslCase {
  name: string;
  group: string;
  definition: Record<string, unknown>;
  input: unknown;
  stateMachineType: "STANDARD" | "EXPRESS";
  expected: {
    status: "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "INVALID_DEFINITION";
    output?: unknown;
    error?: string;
    cause?: string;
    nondeterministic?: Nondeterministic[];
  };
  recorded_from: string;
  features: string[];
}

export function loadCases(): AslCase[] {
  return readdirSync(CASES_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => JSON.parse(readFileSync(`${CASES_DIR}${file}`, "utf8")) as AslCase);
}

export interface Actual {
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

const typeOf = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

function sameShape(expected: unknown, actual: unknown): boolean {
  if (typeOf(expected) !== typeOf(actual)) return false;
  if (Array.isArray(expected)) {
    const list = actual as unknown[];
    return expected.length === list.length && expected.every((item, index) => sameShape(item, list[index]));
  }
  if (expected && typeof expected === "object") {
    const a = Object.keys(expected).sort();
    const b = Object.keys(actual as object).sort();
    return (
      a.join("\u0000") === b.join("\u0000") &&
      a.every((key) =>
        sameShape((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key]),
      )
    );
  }
  return true;
}

/** Deep JSON equality where the relaxations of `expected.nondeterministic` apply at their pointers. */
function equalAt(
  expected: unknown,
  actual: unknown,
  pointer: string,
  relaxed: Map<string, Nondeterministic>,
): boolean {
  const rule = relaxed.get(pointer);
  if (rule) {
    if (rule.match === "any") return actual !== undefined;
    if (rule.match === "type") return typeOf(actual) === typeOf(expected);
    if (rule.match === "shape") return sameShape(expected, actual);
    return typeof actual === "string" && new RegExp(`^(?:${rule.pattern})$`, "s").test(actual);
  }
  if (typeOf(expected) !== typeOf(actual)) return false;
  if (Array.isArray(expected)) {
    const list = actual as unknown[];
    return (
      expected.length === list.length &&
      expected.every((item, index) => equalAt(item, list[index], `${pointer}/${index}`, relaxed))
    );
  }
  if (expected && typeof expected === "object") {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
    for (const key of keys) {
      const escaped = key.replaceAll("~", "~0").replaceAll("/", "~1");
      if (!(key in e) || !(key in a)) return false;
      if (!equalAt(e[key], a[key], `${pointer}/${escaped}`, relaxed)) return false;
    }
    return true;
  }
  return expected === actual;
}

/** Compares an execution's outcome with the recorded one, as the cases' README says. Empty when equal. */
export function differences(testCase: AslCase, actual: Actual): string[] {
  const { expected } = testCase;
  const relaxed = new Map((expected.nondeterministic ?? []).map((rule) => [rule.path, rule]));
  const problems: string[] = [];
  if (actual.status !== expected.status)
    problems.push(`status ${actual.status}, expected ${expected.status}`);
  if (expected.status === "SUCCEEDED" && actual.status === "SUCCEEDED") {
    if (!equalAt(expected.output, actual.output, "/output", relaxed)) {
      problems.push(`output ${JSON.stringify(actual.output)}, expected ${JSON.stringify(expected.output)}`);
    }
  }
  const compareErrors =
    expected.status === "FAILED" ||
    (expected.status === "TIMED_OUT" && testCase.recorded_from !== "describe");
  if (compareErrors && actual.status === expected.status) {
    for (const field of ["error", "cause"] as const) {
      if (!equalAt(expected[field], actual[field], `/${field}`, relaxed)) {
        problems.push(
          `${field} ${JSON.stringify(actual[field])}, expected ${JSON.stringify(expected[field])}`,
        );
      }
    }
  }
  return problems;
}
