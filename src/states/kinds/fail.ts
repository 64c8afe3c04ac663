import { evaluateIntrinsic, isIntrinsicCall } from "../intrinsics/index.js";
import { resolveJsonataValue } from "../jsonata.js";
import { readPath } from "../paths.js";
import type { Scope } from "../scope.js";
import type { Outcome, StateEnv } from "./outcome.js";

function fromPath(path: unknown, scope: Scope, field: string): unknown {
  if (typeof path !== "string") return undefined;
  return isIntrinsicCall(path) ? evaluateIntrinsic(path, scope, field) : readPath(path, scope, field);
}

/** Fail: ends the run with an error and cause, given literally or by path (or JSONata expression). */
export async function enterFail({ state, language, scope }: StateEnv): Promise<Outcome> {
  let error: unknown;
  let cause: unknown;
  if (language === "JSONata") {
    error = state.Error === undefined ? undefined : await resolveJsonataValue(state.Error, scope, "Error");
    cause = state.Cause === undefined ? undefined : await resolveJsonataValue(state.Cause, scope, "Cause");
  } else {
    error = state.ErrorPath !== undefined ? fromPath(state.ErrorPath, scope, "ErrorPath") : state.Error;
    cause = state.CausePath !== undefined ? fromPath(state.CausePath, scope, "CausePath") : state.Cause;
  }
  return {
    type: "fail",
    error: error === undefined ? undefined : typeof error === "string" ? error : JSON.stringify(error),
    cause: cause === undefined ? undefined : typeof cause === "string" ? cause : JSON.stringify(cause),
  };
}
