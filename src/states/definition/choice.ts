import { isJsonataExpression } from "../jsonata.js";
import { checkAssign } from "./assign.js";
import { type Diagnostic, schemaError } from "./diagnostics.js";
import { checkJsonataValue, checkPathField, isPath, isRfc3339Timestamp } from "./expressions.js";
import { CHOICE_COMPARISONS, type QueryLanguage } from "./fields.js";
import { isPlainObject } from "./parse.js";
import { checkFields, checkRequired, mustBe } from "./values.js";

/**
 * Choice rules. A JSONata rule is `Condition` (a boolean or a `{% %}` expression) and `Next`. A
 * JSONPath rule is a boolean expression: exactly one of And / Or / Not / Variable-with-one-comparison,
 * nested freely; only the top-level rule has `Next` (and may have `Assign`).
 */

export type TransitionSink = (target: unknown, location: string) => void;

const JSONATA_RULE_FIELDS = new Set(["Condition", "Next", "Assign", "Output", "Comment"]);
const JSONPATH_EXPRESSION_FIELDS = new Set([
  "Variable",
  "And",
  "Or",
  "Not",
  "Comment",
  ...CHOICE_COMPARISONS,
]);
const JSONPATH_RULE_FIELDS = new Set([...JSONPATH_EXPRESSION_FIELDS, "Next", "Assign"]);
const RULE_ONLY: Record<QueryLanguage, ReadonlySet<string>> = {
  JSONPath: JSONPATH_EXPRESSION_FIELDS,
  JSONata: new Set(["Condition", "Output"]),
};
const ALL_RULE_FIELDS = new Set([...JSONATA_RULE_FIELDS, ...JSONPATH_RULE_FIELDS]);
const EXPRESSION_KINDS = ["And", "Or", "Not", "Variable", "Condition"];

/** What a comparison operand must be, by operator. */
const operandCheck = (operator: string): { valid: (value: unknown) => boolean; description: string } => {
  if (operator.endsWith("Path")) return { valid: isPath, description: "a valid JSONPath" };
  if (operator.startsWith("Is") || operator === "BooleanEquals")
    return { valid: (v) => typeof v === "boolean", description: "a boolean" };
  if (operator.startsWith("Numeric"))
    return { valid: (v) => typeof v === "number" && Number.isFinite(v), description: "a number" };
  return { valid: (v) => typeof v === "string", description: "a string" };
};

const checkComparison = (rule: Record<string, unknown>, location: string, out: Diagnostic[]): void => {
  checkPathField(rule, "Variable", location, out);
  const operators = Object.keys(rule).filter((key) => CHOICE_COMPARISONS.has(key));
  if (operators.length !== 1) {
    out.push(
      schemaError(
        `There should only be one of the following fields: [${[...CHOICE_COMPARISONS].join(", ")}]`,
        location,
      ),
    );
  }
  for (const operator of operators) {
    const operand = rule[operator];
    if (operator.startsWith("Timestamp") && !operator.endsWith("Path") && typeof operand === "string") {
      if (!isRfc3339Timestamp(operand))
        out.push(schemaError("String does not match RFC3339 timestamp", `${location}/${operator}`));
    } else if (!operandCheck(operator).valid(operand)) {
      out.push(mustBe(operator, operandCheck(operator).description, location));
    }
  }
};

/** A JSONPath boolean expression; `nested` ones sit inside And / Or / Not and carry no Next. */
const checkBooleanExpression = (
  rule: Record<string, unknown>,
  location: string,
  out: Diagnostic[],
  nested: boolean,
) => {
  const kinds = EXPRESSION_KINDS.filter((kind) => kind in rule);
  if (kinds.length !== 1) {
    out.push(
      schemaError(
        `The object must have only one of the following fields, [${EXPRESSION_KINDS.join(", ")}]`,
        location,
      ),
    );
  }
  if (nested) checkFields(rule, JSONPATH_EXPRESSION_FIELDS, location, out);
  for (const kind of ["And", "Or"]) {
    if (!(kind in rule)) continue;
    const operands = rule[kind];
    if (!Array.isArray(operands) || operands.length === 0) {
      out.push(mustBe(kind, "a non-empty array of rules", location));
      continue;
    }
    operands.forEach((operand, index) => {
      const at = `${location}/${kind}[${index}]`;
      if (isPlainObject(operand)) checkBooleanExpression(operand, at, out, true);
      else out.push(mustBe(kind, "an array of rules", location));
    });
  }
  if ("Not" in rule) {
    if (isPlainObject(rule.Not)) checkBooleanExpression(rule.Not, `${location}/Not`, out, true);
    else out.push(mustBe("Not", "a rule", location));
  }
  if ("Variable" in rule) checkComparison(rule, location, out);
};

const checkRule = (
  rule: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
  transition: TransitionSink,
): void => {
  checkFields(rule, ALL_RULE_FIELDS, location, out, { current: language, only: RULE_ONLY });
  if (checkRequired(rule, ["Next"], location, out)) transition(rule.Next, `${location}/Next`);
  if ("Assign" in rule) checkAssign(rule.Assign, language, location, out);
  if (language === "JSONata") {
    if (!checkRequired(rule, ["Condition"], location, out)) return;
    const condition = rule.Condition;
    if (
      typeof condition !== "boolean" &&
      !(typeof condition === "string" && isJsonataExpression(condition))
    ) {
      out.push(mustBe("Condition", "a boolean or a JSONata expression", location));
    }
    checkJsonataValue(condition, `${location}/Condition`, out);
    if ("Output" in rule) checkJsonataValue(rule.Output, `${location}/Output`, out);
  } else {
    checkBooleanExpression(rule, location, out, false);
  }
};

export const checkChoices = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
  transition: TransitionSink,
): void => {
  const choices = state.Choices;
  if (!Array.isArray(choices) || choices.length === 0) {
    out.push(mustBe("Choices", "a non-empty array of rules", location));
    return;
  }
  choices.forEach((rule, index) => {
    const at = `${location}/Choices[${index}]`;
    if (isPlainObject(rule)) checkRule(rule, language, at, out, transition);
    else out.push(mustBe("Choices", "an array of rules", location));
  });
};
