import { evaluateChoiceRule } from "../choice-rules.js";
import { queryEvaluationError, STATES_ERRORS, StatesError } from "../errors.js";
import { resolveJsonataValue } from "../jsonata.js";
import { applyInputPath } from "../paths.js";
import type { Outcome, StateEnv } from "./outcome.js";

type Rule = Record<string, unknown> & { Next?: string };

/**
 * Choice: the first rule that matches names the next state, else Default. A rule may carry its
 * own Assign (and, in JSONata, Output); the Default path uses the state's.
 */
export async function enterChoice({ state, language, scope }: StateEnv): Promise<Outcome> {
  const rules = (state.Choices as Rule[] | undefined) ?? [];
  if (language === "JSONata") {
    for (const rule of rules) {
      const verdict = await resolveJsonataValue(rule.Condition, scope, "Condition");
      if (typeof verdict !== "boolean") {
        throw queryEvaluationError(
          `The Condition field of a Choice rule must evaluate to a boolean, but it evaluated to ${JSON.stringify(verdict)}.`,
        );
      }
      if (verdict) {
        return {
          type: "complete",
          result: scope.input,
          next: rule.Next,
          fields: { Output: rule.Output, Assign: rule.Assign },
        };
      }
    }
  } else {
    const input = applyInputPath(scope.input, state.InputPath as string | null | undefined, scope);
    for (const rule of rules) {
      if (evaluateChoiceRule(rule, { ...scope, input })) {
        return {
          type: "complete",
          result: input,
          next: rule.Next,
          fields: { OutputPath: state.OutputPath, Assign: rule.Assign },
        };
      }
    }
    if (state.Default !== undefined) {
      return {
        type: "complete",
        result: input,
        next: state.Default as string,
        fields: { OutputPath: state.OutputPath, Assign: state.Assign },
      };
    }
    return { type: "error", error: new StatesError(STATES_ERRORS.NoChoiceMatched, "No Matches!") };
  }
  if (state.Default !== undefined) {
    return {
      type: "complete",
      result: scope.input,
      next: state.Default as string,
      fields: { Output: state.Output, Assign: state.Assign },
    };
  }
  return { type: "error", error: new StatesError(STATES_ERRORS.NoChoiceMatched, "No Matches!") };
}
