import { checkAssign } from "./assign.js";
import type { TransitionSink } from "./choice.js";
import { type Diagnostic, schemaError } from "./diagnostics.js";
import { checkJsonataValue, checkPathField } from "./expressions.js";
import { CATCHER_FIELDS, type QueryLanguage, RETRIER_FIELDS } from "./fields.js";
import { isPlainObject } from "./parse.js";
import {
  checkFields,
  checkNumber,
  checkOneOf,
  checkRequired,
  mustBe,
  NON_NEGATIVE_INTEGER,
  POSITIVE_INTEGER,
} from "./values.js";

/**
 * Retry and Catch (Task, Parallel, Map). Each Retrier and Catcher names a non-empty ErrorEquals;
 * `States.ALL` must stand alone there and only in the last Retrier or Catcher (ASL spec). A Catcher
 * transitions with Next; ResultPath is JSONPath's, Output JSONata's, Assign both.
 */

const ALL_ERRORS = "States.ALL";
const CATCHER_ONLY: Record<QueryLanguage, ReadonlySet<string>> = {
  JSONPath: new Set(["ResultPath"]),
  JSONata: new Set(["Output"]),
};
const BACKOFF_RATE = { min: 1, description: "a number greater than or equal to 1.0" };

const checkErrorEquals = (
  handler: Record<string, unknown>,
  last: boolean,
  location: string,
  out: Diagnostic[],
) => {
  const errors = handler.ErrorEquals;
  if (!Array.isArray(errors) || errors.length === 0 || !errors.every((error) => typeof error === "string")) {
    out.push(mustBe("ErrorEquals", "a non-empty array of error names", location));
    return;
  }
  if (!errors.includes(ALL_ERRORS)) return;
  if (errors.length > 1)
    out.push(schemaError(`${ALL_ERRORS} must appear alone in the ErrorEquals array`, location));
  if (!last) out.push(schemaError(`${ALL_ERRORS} must appear in the last Retrier or Catcher`, location));
};

const handlers = (
  state: Record<string, unknown>,
  field: "Retry" | "Catch",
  location: string,
  out: Diagnostic[],
) => {
  const value = state[field];
  if (!Array.isArray(value)) {
    out.push(mustBe(field, "an array", location));
    return [];
  }
  return value.flatMap((handler, index) => {
    if (isPlainObject(handler))
      return [{ handler, at: `${location}/${field}[${index}]`, last: index === value.length - 1 }];
    out.push(mustBe(field, "an array of objects", location));
    return [];
  });
};

export const checkErrorHandling = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
  transition: TransitionSink,
): void => {
  if ("Retry" in state) {
    for (const { handler, at, last } of handlers(state, "Retry", location, out)) {
      checkFields(handler, RETRIER_FIELDS, at, out);
      if (checkRequired(handler, ["ErrorEquals"], at, out)) checkErrorEquals(handler, last, at, out);
      checkNumber(handler, "IntervalSeconds", POSITIVE_INTEGER, "JSONPath", at, out);
      checkNumber(handler, "MaxAttempts", NON_NEGATIVE_INTEGER, "JSONPath", at, out);
      checkNumber(handler, "MaxDelaySeconds", POSITIVE_INTEGER, "JSONPath", at, out);
      checkNumber(handler, "BackoffRate", BACKOFF_RATE, "JSONPath", at, out);
      checkOneOf(handler, "JitterStrategy", ["FULL", "NONE"], at, out);
    }
  }
  if ("Catch" in state) {
    for (const { handler, at, last } of handlers(state, "Catch", location, out)) {
      checkFields(handler, CATCHER_FIELDS, at, out, { current: language, only: CATCHER_ONLY });
      checkRequired(handler, ["ErrorEquals", "Next"], at, out);
      if ("ErrorEquals" in handler) checkErrorEquals(handler, last, at, out);
      if ("Next" in handler) transition(handler.Next, `${at}/Next`);
      checkPathField(handler, "ResultPath", at, out, { nullable: true });
      if ("Output" in handler) checkJsonataValue(handler.Output, `${at}/Output`, out);
      if ("Assign" in handler) checkAssign(handler.Assign, language, at, out);
    }
  }
};
