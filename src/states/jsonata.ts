import jsonata from "jsonata";
import { queryEvaluationError } from "./errors.js";
import { REMOVED_FUNCTIONS, STATES_FUNCTIONS } from "./jsonata/functions.js";
import { type JsonType, jsonTypeOf, toJsonValue } from "./jsonata/values.js";
import type { Scope } from "./scope.js";

/**
 * JSONata as Step Functions runs it (QueryLanguage "JSONata").
 *
 * A string is an expression only when it is exactly `{% ... %}`: it starts with `{%` and ends with
 * `%}`, with nothing around them. Every other string is a literal, even `" {% $x %} "` or `"$.a"`.
 * Expressions see `$states` (`input`, `context`, and `result` / `errorOutput` where the state has one)
 * and the workflow variables as `$name`; `$` itself is bound to nothing.
 *
 * Failures are States.QueryEvaluationError with AWS's wording. The causes here are the part after
 * "An error occurred while executing the state 'X' (entered at the event id #N). ", which the
 * interpreter prepends because only it knows the state and the event.
 */

export type { JsonType } from "./jsonata/values.js";

/**
 * Bounds on one evaluation, so a definition cannot hang or exhaust the worker: wall time, nesting
 * depth of JSONata's evaluator (a recursive function uses about 6 per call), and sequence length.
 * AWS documents no such numbers; these are generous for the 256 KiB payloads a state can carry.
 */
export const JSONATA_LIMITS = Object.freeze({
  timeoutMs: 5_000,
  stackDepth: 10_000,
  sequenceLength: 1_000_000,
});

export const isJsonataExpression = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 4 && value.startsWith("{%") && value.endsWith("%}");

/** The expression between the delimiters, trimmed, as AWS quotes it in causes. */
export const expressionBody = (expression: string): string => expression.slice(2, -2).trim();

type Compiled = ReturnType<typeof jsonata>;

/** Compiled expressions by body; Map iterations evaluate the same few expressions many times. */
const compiled = new Map<string, Compiled>();
const COMPILED_CACHE_SIZE = 1_000;

const compile = (body: string): Compiled => {
  const cached = compiled.get(body);
  if (cached !== undefined) return cached;
  const expression = jsonata(body, {
    timeout: JSONATA_LIMITS.timeoutMs,
    stack: JSONATA_LIMITS.stackDepth,
    sequence: JSONATA_LIMITS.sequenceLength,
  });
  for (const fn of STATES_FUNCTIONS) expression.registerFunction(fn.name, fn.implementation, fn.signature);
  for (const name of REMOVED_FUNCTIONS) expression.assign(name, undefined);
  if (compiled.size >= COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  compiled.set(body, expression);
  return expression;
};

/** "S0201: Syntax error: ..." for JSONata's coded errors, the bare message for the others. */
const describeFailure = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const text = typeof message === "string" ? message : String(error);
    return typeof code === "string" ? `${code}: ${text}` : text;
  }
  return String(error);
};

/** The syntax error of an expression body, or undefined when JSONata can parse it. */
export const jsonataSyntaxError = (body: string): string | undefined => {
  try {
    jsonata(body);
    return undefined;
  } catch (error) {
    return describeFailure(error);
  }
};

const prefix = (body: string, field: string) =>
  `The JSONata expression '${body}' specified for the field '${field}'`;

const bindings = (scope: Scope): Record<string, unknown> => {
  const states: Record<string, unknown> = { input: scope.input, context: scope.context };
  if (scope.result !== undefined) states.result = scope.result;
  if (scope.errorOutput !== undefined) states.errorOutput = scope.errorOutput;
  return { ...scope.variables, states };
};

/**
 * Evaluates one `{% ... %}` string for the ASL field `field` (as AWS names it in causes: `Output`,
 * `Output/result`, `Assign/total`, `Items`...). The result is plain JSON; nothing (undefined), a
 * function, or a failing expression is a States.QueryEvaluationError.
 */
export const evaluateExpression = async (
  expression: string,
  scope: Scope,
  field: string,
): Promise<unknown> => {
  if (!isJsonataExpression(expression)) {
    throw new TypeError(`Not a JSONata expression (it must start with {% and end with %}): ${expression}`);
  }
  const body = expressionBody(expression);
  let result: unknown;
  try {
    result = await compile(body).evaluate(undefined, bindings(scope));
  } catch (error) {
    throw queryEvaluationError(
      `${prefix(body, field)} threw an error during evaluation. ${describeFailure(error)}`,
    );
  }
  if (result === undefined)
    throw queryEvaluationError(`${prefix(body, field)} returned nothing (undefined).`);
  const json = toJsonValue(result);
  if (!json.ok) throw queryEvaluationError(`${prefix(body, field)} returned an unsupported result type.`);
  return json.value;
};

/**
 * Evaluates an expression whose field takes one JSON type (Items: array, Condition: boolean...);
 * any other type is AWS's "returned an unexpected result type" error.
 */
export const evaluateTyped = async (
  expression: string,
  scope: Scope,
  field: string,
  expected: JsonType,
): Promise<unknown> => {
  const value = await evaluateExpression(expression, scope, field);
  const actual = jsonTypeOf(value);
  if (actual !== expected) {
    throw queryEvaluationError(
      `${prefix(expressionBody(expression), field)} returned an unexpected result type. ` +
        `Expected '${expected}', but was '${actual}' for value: ${JSON.stringify(value)}`,
    );
  }
  return value;
};

/**
 * Resolves a JSONata-mode field value: every string that is exactly `{% ... %}`, at any depth in
 * objects and arrays, is replaced by its value; everything else is copied as it is. `field` names
 * the value for causes; members extend it as `Output/key` and elements as `Items[1]`.
 */
export const resolveJsonataValue = async (value: unknown, scope: Scope, field: string): Promise<unknown> => {
  if (isJsonataExpression(value)) return evaluateExpression(value, scope, field);
  if (Array.isArray(value)) {
    const resolved: unknown[] = [];
    for (const [index, item] of value.entries())
      resolved.push(await resolveJsonataValue(item, scope, `${field}[${index}]`));
    return resolved;
  }
  if (typeof value === "object" && value !== null) {
    const resolved: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      resolved[key] = await resolveJsonataValue(member, scope, `${field}/${key}`);
    }
    return resolved;
  }
  return value;
};

/**
 * The variables a JSONata `Assign` block sets. Every right-hand side sees the same scope, the
 * variables as they were when the state was entered; the new values take effect from the next state
 * (AWS: "all expressions are evaluated first, then assignments are made"). `field` names the block in
 * causes: `Assign` for a state's own, something else for the one in a Choice rule or a Catcher.
 */
export const evaluateAssign = async (
  assign: Record<string, unknown>,
  scope: Scope,
  field = "Assign",
): Promise<Record<string, unknown>> => {
  const assigned: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(assign)) {
    assigned[name] = await resolveJsonataValue(value, scope, `${field}/${name}`);
  }
  return assigned;
};
