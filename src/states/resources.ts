import { runtimeError } from "./errors.js";

/**
 * The Task resources Inflow runs. `pattern` is the integration pattern: request-response, wait
 * for a task token, or run a child execution to completion (`.sync`).
 */
export type TaskResource =
  | { service: "sqs"; action: "sendMessage"; pattern: "request" | "token"; arn: string }
  | { service: "lambda"; functionName?: string; pattern: "request" | "token"; arn: string }
  | { service: "states"; action: "startExecution"; pattern: "request" | "sync"; arn: string };

const SQS = /^arn:aws:states:::sqs:sendMessage(\.waitForTaskToken)?$/;
const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;
const LAMBDA_FUNCTION =
  /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(:[A-Za-z0-9_$-]+)?$/;
const START_EXECUTION = /^arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/;

export function parseResource(arn: string): TaskResource {
  let match = SQS.exec(arn);
  if (match) return { service: "sqs", action: "sendMessage", pattern: match[1] ? "token" : "request", arn };
  match = LAMBDA_INVOKE.exec(arn);
  if (match) return { service: "lambda", pattern: match[1] ? "token" : "request", arn };
  match = LAMBDA_FUNCTION.exec(arn);
  if (match) return { service: "lambda", functionName: match[1]!, pattern: "request", arn };
  match = START_EXECUTION.exec(arn);
  if (match && match[1] !== ".waitForTaskToken") {
    return { service: "states", action: "startExecution", pattern: match[1] ? "sync" : "request", arn };
  }
  throw runtimeError(`The resource '${arn}' is not supported.`);
}

/** How the history names a resource: `resourceType` and `resource` of TaskScheduled. */
export function describeResource(resource: TaskResource): { resourceType: string; resource: string } {
  if (resource.service === "lambda" && resource.functionName) {
    return { resourceType: "lambda", resource: resource.arn };
  }
  const [, rest = ""] = resource.arn.split(":::");
  const [resourceType = "", action = ""] = rest.split(":");
  return { resourceType, resource: action };
}
