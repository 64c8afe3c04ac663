import { resolveJsonataValue } from "../jsonata.js";
import { applyInputPath, applyOutputPath } from "../paths.js";
import type { Outcome, StateEnv } from "./outcome.js";

/** Succeed: ends the run with its input (JSONPath: through InputPath and OutputPath; JSONata: Output). */
export async function enterSucceed({ state, language, scope }: StateEnv): Promise<Outcome> {
  if (language === "JSONata") {
    const output =
      state.Output === undefined ? scope.input : await resolveJsonataValue(state.Output, scope, "Output");
    return { type: "succeed", output };
  }
  const input = applyInputPath(scope.input, state.InputPath as string | null | undefined, scope);
  return {
    type: "succeed",
    output: applyOutputPath(input, state.OutputPath as string | null | undefined, scope),
  };
}
