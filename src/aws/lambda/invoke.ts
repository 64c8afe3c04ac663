import { FunctionFailure, FunctionsError } from "../../functions/errors.js";
import type { Functions } from "../../functions/registry.js";
import { invalidParameterValue, invalidRequestContent, type LambdaError, lambdaError } from "./errors.js";
import { functionReference } from "./function-name.js";

/** Inflow keeps no versions: every invocation runs the latest code. */
const EXECUTED_VERSION = "$LATEST";

export const INVOCATION_TYPES = ["RequestResponse", "Event", "DryRun"] as const;
export type InvocationType = (typeof INVOCATION_TYPES)[number];

export interface InvokeRequest {
  functionName: string;
  qualifier?: string;
  invocationType?: InvocationType;
  /** The raw request body; empty or absent hands the handler `{}`, as Lambda does. */
  payload?: Buffer;
}

/** A successful answer; a refused call is a LambdaError. */
export interface InvokeResponse {
  status: number;
  headers: Record<string, string>;
  /** The result or error report as JSON; absent for a dry run. */
  body?: string;
}

/**
 * Lambda's Invoke: RequestResponse runs the function and answers 200 with its result, or 200
 * with `X-Amz-Function-Error: Unhandled` and the error report when the function fails (the
 * call itself succeeded); DryRun only checks that the function exists (204).
 */
export async function invoke(
  functions: Functions,
  request: InvokeRequest,
): Promise<InvokeResponse | LambdaError> {
  const reference = functionReference(request.functionName, request.qualifier);
  if (typeof reference !== "string") return reference;
  const invocationType = request.invocationType ?? "RequestResponse";
  if (invocationType === "Event") {
    // Lambda queues Event invocations and retries them; running them unawaited here would lose
    // failures silently, so they are refused rather than half-supported.
    return invalidParameterValue(
      "InvocationType Event is not supported: Inflow runs functions synchronously (RequestResponse). For asynchronous work, send a message to a queue whose mapping calls the function.",
    );
  }

  const payload = parsePayload(request.payload);
  if (payload instanceof Error) return invalidRequestContent(payload.message);

  try {
    if (invocationType === "DryRun") {
      // The registry's lookup without running: an empty-payload call would run the handler.
      const [name, qualifier] = reference.split(":");
      if (
        !functions.list().some((fn) => fn.name === name) ||
        (qualifier !== undefined && qualifier !== EXECUTED_VERSION)
      ) {
        return lambdaError(
          404,
          "ResourceNotFoundException",
          `Function not found: ${functions.arnOf(reference)}`,
        );
      }
      return { status: 204, headers: {} };
    }
    const result = await functions.invoke(reference, payload);
    return {
      status: 200,
      headers: { "x-amz-executed-version": EXECUTED_VERSION },
      body: JSON.stringify(result),
    };
  } catch (error) {
    if (error instanceof FunctionFailure) {
      return {
        status: 200,
        headers: { "x-amz-executed-version": EXECUTED_VERSION, "x-amz-function-error": "Unhandled" },
        body: JSON.stringify(error.report),
      };
    }
    if (error instanceof FunctionsError) return lambdaError(error.status, error.name, error.message);
    throw error;
  }
}

/** The payload as JSON, undefined when empty, or the parse error. */
function parsePayload(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    return error as Error;
  }
}
