import { isJsonataExpression } from "../jsonata.js";
import { type Diagnostic, schemaError } from "./diagnostics.js";
import type { QueryLanguage } from "./fields.js";
import { isPlainObject } from "./parse.js";

/**
 * Checks on plain field values: numbers in range, strings, objects, one-of-several fields. In a
 * JSONata state a field may hold a `{% %}` expression instead, whose value is checked when the state
 * runs. (AWS words these checks in its schema's terms; where its exact text is unknown, the
 * messages here say plainly what is expected.)
 */

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  description: string;
}

export const POSITIVE_INTEGER: NumberRule = { integer: true, min: 1, description: "a positive integer" };
export const NON_NEGATIVE_INTEGER: NumberRule = {
  integer: true,
  min: 0,
  description: "a non-negative integer",
};
export const PERCENTAGE: NumberRule = { min: 0, max: 100, description: "a number between 0 and 100" };

export const mustBe = (field: string, description: string, location: string): Diagnostic =>
  schemaError(`The value for the field '${field}' must be ${description}`, location);

export const checkNumber = (
  container: Record<string, unknown>,
  field: string,
  rule: NumberRule,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
): void => {
  if (!(field in container)) return;
  const value = container[field];
  if (language === "JSONata" && isJsonataExpression(value)) return;
  const valid =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!valid) out.push(mustBe(field, rule.description, location));
};

export const checkString = (
  container: Record<string, unknown>,
  field: string,
  location: string,
  out: Diagnostic[],
) => {
  if (field in container && typeof container[field] !== "string")
    out.push(mustBe(field, "a string", location));
};

export const checkObject = (
  container: Record<string, unknown>,
  field: string,
  location: string,
  out: Diagnostic[],
) => {
  if (field in container && !isPlainObject(container[field]))
    out.push(mustBe(field, "a JSON object", location));
};

export const checkOneOf = (
  container: Record<string, unknown>,
  field: string,
  allowed: readonly string[],
  location: string,
  out: Diagnostic[],
): void => {
  if (field in container && !allowed.includes(container[field] as string)) {
    out.push(
      schemaError(`Value should be one of the following: [${allowed.join(", ")}]`, `${location}/${field}`),
    );
  }
};

/** At most one of `fields` (AWS: "There should only be one of the following fields: [...]"). */
export const checkAtMostOne = (
  container: Record<string, unknown>,
  fields: readonly string[],
  location: string,
  out: Diagnostic[],
): number => {
  const present = fields.filter((field) => field in container).length;
  if (present > 1)
    out.push(
      schemaError(`There should only be one of the following fields: [${fields.join(", ")}]`, location),
    );
  return present;
};

/** Exactly one of `fields`; none is AWS's "This object should have only one of the following fields". */
export const checkExactlyOne = (
  container: Record<string, unknown>,
  fields: readonly string[],
  location: string,
  out: Diagnostic[],
): void => {
  if (checkAtMostOne(container, fields, location, out) === 0) {
    out.push(
      schemaError(
        `This object should have only one of the following fields: [${fields.join(", ")}]`,
        location,
      ),
    );
  }
};

export const checkRequired = (
  container: Record<string, unknown>,
  fields: readonly string[],
  location: string,
  out: Diagnostic[],
): boolean => {
  const missing = fields.filter((field) => !(field in container));
  if (missing.length > 0)
    out.push(schemaError(`These fields are required: [${missing.join(", ")}]`, location));
  return missing.length === 0;
};

/** Unknown members are "Field 'X' is not supported"; members of the other query language say so. */
export const checkFields = (
  container: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  location: string,
  out: Diagnostic[],
  language?: { current: QueryLanguage; only: Readonly<Record<QueryLanguage, ReadonlySet<string>>> },
): void => {
  for (const field of Object.keys(container)) {
    if (!allowed.has(field)) {
      out.push(schemaError(`Field '${field}' is not supported`, location));
    } else if (language !== undefined) {
      const other: QueryLanguage = language.current === "JSONata" ? "JSONPath" : "JSONata";
      if (language.only[other].has(field)) {
        out.push(
          schemaError(
            `The QueryLanguage is set to '${language.current}', but field '${field}' is only supported for the '${other}' QueryLanguage`,
            location,
          ),
        );
      }
    }
  }
};
