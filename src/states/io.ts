import { evaluateAssign, resolveJsonataValue } from "./jsonata.js";
import { applyInputPath, applyOutputPath, applyResultPath } from "./paths.js";
import { applyPayloadTemplate } from "./payload-template.js";
import type { Scope } from "./scope.js";
import type { QueryLanguage, StateDefinition } from "./types.js";

/**
 * Input and output processing around a state's own work, for both query languages.
 *
 * JSONPath: InputPath -> Parameters -> (work) -> ResultSelector -> ResultPath -> OutputPath, with
 * Assign evaluated against the state result. JSONata: the work sees `$states.input`; Output (default:
 * the result) and Assign are evaluated with `$states.result`.
 */

export function languageOf(state: StateDefinition, inherited: QueryLanguage): QueryLanguage {
  return (state.QueryLanguage as QueryLanguage | undefined) ?? inherited;
}

/** The input the state works on (JSONPath: after InputPath and Parameters). */
export async function effectiveInput(
  state: StateDefinition,
  language: QueryLanguage,
  scope: Scope,
): Promise<unknown> {
  if (language === "JSONata") return scope.input;
  const afterInputPath = applyInputPath(scope.input, state.InputPath as string | null | undefined, scope);
  if (state.Parameters === undefined) return afterInputPath;
  return applyPayloadTemplate(state.Parameters, { ...scope, input: afterInputPath }, "Parameters");
}

/** Fields that drive output processing; a Choice rule or a Catcher may supply its own instead of the state's. */
export interface ExitFields {
  Output?: unknown;
  Assign?: unknown;
  ResultPath?: unknown;
  ResultSelector?: unknown;
  OutputPath?: unknown;
}

export interface StateExit {
  output: unknown;
  /** The variables after this state's Assign. */
  variables: Record<string, unknown>;
}

/**
 * Turns a state's result into its output and new variables. `rawInput` is the state's input as it
 * arrived (ResultPath merges into it); `fields` lets a Choice rule or a Catcher supply its own
 * Output/Assign/ResultPath instead of the state's.
 */
export async function exitState(
  state: StateDefinition,
  language: QueryLanguage,
  scope: Scope,
  result: unknown,
  fields: ExitFields = state as ExitFields,
): Promise<StateExit> {
  if (language === "JSONata") {
    const withResult: Scope = { ...scope, result };
    const assigned = fields.Assign
      ? await evaluateAssign(fields.Assign as Record<string, unknown>, withResult)
      : {};
    const output =
      fields.Output === undefined ? result : await resolveJsonataValue(fields.Output, withResult, "Output");
    return { output, variables: { ...scope.variables, ...assigned } };
  }
  const selected =
    fields.ResultSelector === undefined
      ? result
      : applyPayloadTemplate(fields.ResultSelector, { ...scope, input: result }, "ResultSelector");
  const assigned = fields.Assign
    ? (applyPayloadTemplate(fields.Assign, { ...scope, input: selected }, "Assign") as Record<
        string,
        unknown
      >)
    : {};
  const merged = applyResultPath(scope.input, fields.ResultPath as string | null | undefined, selected);
  const output = applyOutputPath(merged, fields.OutputPath as string | null | undefined, scope);
  return { output, variables: { ...scope.variables, ...assigned } };
}
