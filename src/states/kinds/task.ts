import { randomText } from "../../queues/random.js";
import { runtimeError } from "../errors.js";
import { effectiveInput } from "../io.js";
import { resolveJsonataValue } from "../jsonata.js";
import { readPath } from "../paths.js";
import { parseResource, type TaskResource } from "../resources.js";
import type { Scope } from "../scope.js";
import type { Outcome, StateEnv } from "./outcome.js";

export interface TaskCall {
  resource: TaskResource;
  parameters: unknown;
  token?: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

async function seconds(env: StateEnv, scope: Scope, field: "TimeoutSeconds" | "HeartbeatSeconds") {
  const { state, language } = env;
  let value: unknown = state[field];
  if (language === "JSONata" && value !== undefined) value = await resolveJsonataValue(value, scope, field);
  if (language === "JSONPath" && value === undefined && state[`${field}Path`] !== undefined) {
    value = readPath(state[`${field}Path`] as string, scope, `${field}Path`);
  }
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw runtimeError(
      `The value of the field '${field}' must be a positive integer, but was ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * Task: works out what to call and with what. The call itself (sending a message, invoking a
 * function, starting an execution) happens in the step, where it joins the transaction or is
 * scheduled after it.
 */
export async function enterTask(env: StateEnv): Promise<Outcome> {
  const resource = parseResource(env.state.Resource as string);
  const token = resource.pattern === "token" ? randomText(48, "base64url") : undefined;
  const scope: Scope = token
    ? { ...env.scope, context: { ...env.scope.context, Task: { Token: token } } }
    : env.scope;
  let parameters: unknown;
  if (env.language === "JSONata") {
    parameters =
      env.state.Arguments === undefined
        ? scope.input
        : await resolveJsonataValue(env.state.Arguments, scope, "Arguments");
  } else {
    parameters = await effectiveInput(env.state, env.language, scope);
  }
  const timeoutSeconds = await seconds(env, scope, "TimeoutSeconds");
  const heartbeatSeconds = await seconds(env, scope, "HeartbeatSeconds");
  return {
    type: "task",
    call: {
      resource,
      parameters,
      ...(token ? { token } : {}),
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
    },
  };
}
