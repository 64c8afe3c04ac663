import { StatesError } from "../errors.js";
import { parseIntrinsic } from "../intrinsics/index.js";
import { expressionBody, isJsonataExpression, jsonataSyntaxError } from "../jsonata.js";
import { compilePath } from "../paths.js";
import { type Diagnostic, schemaError } from "./diagnostics.js";
import { isPlainObject } from "./parse.js";

/**
 * Checks on the expressions a definition carries: JSONPath paths, payload templates (`key.$`
 * values must be paths or intrinsic calls), JSONata `{% %}` strings, and RFC 3339 timestamps.
 * Only syntax is checked, with the parsers that later evaluate them; what a path selects is known
 * when the state runs.
 */

/** Whether `parse` accepts the text; the parsers report bad syntax as States errors. */
const parses = (parse: () => unknown): boolean => {
  try {
    parse();
    return true;
  } catch (error) {
    if (error instanceof StatesError) return false;
    throw error;
  }
};

/** A JSONPath, a context path (`$$...`) or a variable path (`$name...`), well formed. */
export const isPath = (value: unknown): value is string =>
  typeof value === "string" && value.startsWith("$") && parses(() => compilePath(value));

/** A well-formed call of a known intrinsic function with a fitting number of arguments. */
export const isIntrinsicCall = (value: unknown): value is string =>
  typeof value === "string" && value.startsWith("States.") && parses(() => parseIntrinsic(value));

/** The value of a path field (InputPath, ItemsPath, ...): a path, or null where the field allows it. */
export const checkPathField = (
  container: Record<string, unknown>,
  field: string,
  location: string,
  out: Diagnostic[],
  options: { nullable?: boolean; intrinsic?: boolean } = {},
): void => {
  if (!(field in container)) return;
  const value = container[field];
  if (value === null && options.nullable) return;
  if (isPath(value) || (options.intrinsic && isIntrinsicCall(value))) return;
  const accepted = options.intrinsic
    ? "a valid JSONPath or a valid intrinsic function call"
    : "a valid JSONPath";
  out.push(schemaError(`The value for the field '${field}' must be ${accepted}`, location));
};

/**
 * A JSONPath payload template (Parameters, ResultSelector, ItemSelector, JSONPath Assign): every
 * `key.$` holds a path or an intrinsic call, at any depth. Findings are located at the object that
 * holds the key, as AWS does (`/States/X/Parameters`).
 */
export const checkPayloadTemplate = (template: unknown, location: string, out: Diagnostic[]): void => {
  if (Array.isArray(template)) {
    template.forEach((item, index) => {
      checkPayloadTemplate(item, `${location}[${index}]`, out);
    });
    return;
  }
  if (!isPlainObject(template)) return;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$")) {
      if (!isPath(value) && !isIntrinsicCall(value)) {
        out.push(
          schemaError(
            `The value for the field '${key}' must be a valid JSONPath or a valid intrinsic function call`,
            location,
          ),
        );
      }
    } else {
      checkPayloadTemplate(value, `${location}/${key}`, out);
    }
  }
};

/**
 * The `{% %}` strings of a JSONata field, at any depth: each must close with `%}` and parse.
 * A string that merely contains `{%` elsewhere is a literal and is left alone.
 */
export const checkJsonataValue = (value: unknown, location: string, out: Diagnostic[]): void => {
  if (typeof value === "string") {
    if (!value.startsWith("{%")) return;
    if (!isJsonataExpression(value)) {
      out.push(schemaError("JSONata string must start with {% and end with %}", location));
      return;
    }
    const error = jsonataSyntaxError(expressionBody(value));
    if (error !== undefined) {
      out.push(
        schemaError(`The JSONata expression '${expressionBody(value)}' is not valid: ${error}`, location),
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkJsonataValue(item, `${location}[${index}]`, out);
    });
  } else if (isPlainObject(value)) {
    for (const [key, member] of Object.entries(value)) checkJsonataValue(member, `${location}/${key}`, out);
  }
};

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time with an upper-case T and a Z or numeric offset, and real calendar values. */
export const isRfc3339Timestamp = (value: unknown): boolean => {
  if (typeof value !== "string") return false;
  const match = RFC3339.exec(value);
  if (match === null) return false;
  const [year, month, day, hour, minute, second, offsetHours = "00", offsetMinutes = "00"] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return (
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    Number(offsetHours) < 24 &&
    Number(offsetMinutes) < 60
  );
};
