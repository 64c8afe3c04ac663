import { effectiveInput } from "../io.js";
import { nextOf, type Outcome, type StateEnv } from "./outcome.js";

/** Pass: its result is `Result` when given, else its (effective) input. */
export async function enterPass(env: StateEnv): Promise<Outcome> {
  const input = await effectiveInput(env.state, env.language, env.scope);
  const result = env.language === "JSONPath" && "Result" in env.state ? env.state.Result : input;
  return { type: "complete", result, next: nextOf(env.state) };
}
