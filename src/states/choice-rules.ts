import { runtimeError } from "./errors.js";
import { lookupPath } from "./paths.js";
import type { Scope } from "./scope.js";

/**
 * Choice rules of JSONPath-mode Choice states. The recorded AWS answers fix the semantics:
 *
 * - a comparison only holds between values of its own type: NumericEquals on a string, BooleanEquals
 *   on 0, StringEquals on a number, TimestampEquals on a non-timestamp string are all false, never
 *   errors;
 * - the `...Path` forms compare with the value at another path, under the same rule;
 * - `Is*` tests hold when the type test equals the rule's boolean (`"IsNumeric": false` holds for a
 *   string);
 * - only IsPresent tolerates a Variable that matches nothing; every other rule fails the execution
 *   with States.Runtime, as does a `...Path` operand that matches nothing.
 */

type Rule = Record<string, unknown>;
type Comparison = "Equals" | "LessThan" | "GreaterThan" | "LessThanEquals" | "GreaterThanEquals";

const COMPARISONS: readonly Comparison[] = [
  "Equals",
  "LessThan",
  "GreaterThan",
  "LessThanEquals",
  "GreaterThanEquals",
];
const TYPE_TESTS: Readonly<Record<string, (value: unknown) => boolean>> = {
  IsNull: (value) => value === null,
  IsNumeric: (value) => typeof value === "number",
  IsString: (value) => typeof value === "string",
  IsBoolean: (value) => typeof value === "boolean",
  IsTimestamp: (value) => typeof value === "string" && parseTimestamp(value) !== undefined,
};

/** What each family compares, given two values of any type; undefined when the types do not fit. */
const FAMILIES: Readonly<Record<string, (left: unknown, right: unknown) => number | undefined>> = {
  String: (left, right) =>
    typeof left === "string" && typeof right === "string"
      ? left < right
        ? -1
        : left > right
          ? 1
          : 0
      : undefined,
  Numeric: (left, right) =>
    typeof left === "number" && typeof right === "number" ? Math.sign(left - right) : undefined,
  Boolean: (left, right) =>
    typeof left === "boolean" && typeof right === "boolean" ? (left === right ? 0 : 1) : undefined,
  Timestamp: (left, right) => {
    const [a, b] = [left, right].map((v) => (typeof v === "string" ? parseTimestamp(v) : undefined));
    return a && b
      ? a.seconds === b.seconds
        ? Math.sign(a.nanos - b.nanos)
        : Math.sign(a.seconds - b.seconds)
      : undefined;
  },
};

const OPERATORS: ReadonlySet<string> = new Set([
  ...Object.keys(TYPE_TESTS),
  "IsPresent",
  "StringMatches",
  ...Object.keys(FAMILIES).flatMap((family) =>
    COMPARISONS.filter((c) => family !== "Boolean" || c === "Equals").flatMap((c) => [
      `${family}${c}`,
      `${family}${c}Path`,
    ]),
  ),
]);

const invalidPath = (path: unknown) =>
  runtimeError(
    `Invalid path '${String(path)}': The choice state's condition path references an invalid value.`,
  );

function valueAt(path: unknown, scope: Scope): { found: boolean; value: unknown } {
  if (typeof path !== "string") throw invalidPath(path);
  const result = lookupPath(path, scope);
  return result.found ? result : { found: false, value: undefined };
}

function holds(comparison: Comparison, order: number): boolean {
  switch (comparison) {
    case "Equals":
      return order === 0;
    case "LessThan":
      return order < 0;
    case "GreaterThan":
      return order > 0;
    case "LessThanEquals":
      return order <= 0;
    case "GreaterThanEquals":
      return order >= 0;
  }
}

/** Whether a rule of a Choice state (And/Or/Not or a comparison on `Variable`) matches. */
export function evaluateChoiceRule(rule: Rule, scope: Scope): boolean {
  if (Array.isArray(rule.And)) return (rule.And as Rule[]).every((r) => evaluateChoiceRule(r, scope));
  if (Array.isArray(rule.Or)) return (rule.Or as Rule[]).some((r) => evaluateChoiceRule(r, scope));
  if (typeof rule.Not === "object" && rule.Not !== null) return !evaluateChoiceRule(rule.Not as Rule, scope);

  const operator = Object.keys(rule).find((key) => OPERATORS.has(key));
  if (!operator) throw runtimeError(`The Choice rule ${JSON.stringify(rule)} has no comparison operator.`);
  const operand = rule[operator];
  const variable = valueAt(rule.Variable, scope);

  if (operator === "IsPresent") return variable.found === operand;
  if (!variable.found) throw invalidPath(rule.Variable);
  const value = variable.value;

  const typeTest = TYPE_TESTS[operator];
  if (typeTest) return typeTest(value) === operand;
  if (operator === "StringMatches") {
    return typeof value === "string" && typeof operand === "string" && wildcardPattern(operand).test(value);
  }

  const byPath = operator.endsWith("Path");
  let other = operand;
  if (byPath) {
    const target = valueAt(operand, scope);
    if (!target.found) throw invalidPath(operand);
    other = target.value;
  }
  const name = byPath ? operator.slice(0, -"Path".length) : operator;
  const family = Object.keys(FAMILIES).find((f) => name.startsWith(f)) as string;
  const order = (FAMILIES[family] as (l: unknown, r: unknown) => number | undefined)(value, other);
  return order !== undefined && holds(name.slice(family.length) as Comparison, order);
}

/** StringMatches: `*` matches any run of characters; `\*` is an asterisk and `\\` a backslash. */
function wildcardPattern(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    const next = pattern[i + 1];
    if (char === "\\" && (next === "*" || next === "\\")) {
      source += `\\${next}`;
      i++;
    } else if (char === "*") {
      source += "[\\s\\S]*";
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

interface Instant {
  seconds: number;
  nanos: number;
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return (
    era * 146097 +
    yearOfEra * 365 +
    Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100) +
    dayOfYear -
    719468
  );
}

/**
 * AWS's timestamps: RFC 3339 with an uppercase T and either Z or a numeric offset
 * (2016-08-18T17:33:00Z, 2016-08-18T17:33:00.123+02:00), compared as instants to the nanosecond.
 * Anything else ("2012-10-09T19:00:55", "2023-02-24", a space for the T) is not a timestamp.
 */
function parseTimestamp(text: string): Instant | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const monthDays = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const [offsetHours, offsetMinutes] = [Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > (monthDays[month - 1] as number)) return undefined;
  const offsetSeconds = offsetHours * 3600 + offsetMinutes * 60;
  // Java's ZoneOffset, which AWS parses with, ends at +/-18:00.
  if (hour > 23 || minute > 59 || second > 59 || offsetMinutes > 59 || offsetSeconds > 18 * 3600)
    return undefined;
  const offset = (match[8] === "-" ? -1 : 1) * offsetSeconds;
  return {
    seconds: daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset,
    nanos: Number((match[7] ?? "").padEnd(9, "0")),
  };
}
