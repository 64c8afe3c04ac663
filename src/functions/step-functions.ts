import { randomUUID } from "node:crypto";
import { STATES_ERRORS, StatesError } from "../states/errors.js";
import type { FunctionInvoker } from "../states/worker.js";
import { FunctionFailure, FunctionsError } from "./errors.js";

/** Step Functions' limit on what a task may return (256 KiB), below Lambda's own 6 MB. */
export const MAX_TASK_RESULT_BYTES = 262_144;

/**
 * Function calls from Task states, failing the way Step Functions reports Lambda failures:
 * - the function failed (threw, timed out, bad result): error = its error type (`TypeError`,
 *   `Sandbox.Timedout`, ...), cause = Lambda's report as JSON, `{"errorType","errorMessage","trace"}`;
 * - Lambda refused the call: error = `Lambda.<Exception>` (`Lambda.ResourceNotFoundException`),
 *   cause = the SDK's message, `Function not found: <arn> (Service: AWSLambda; Status Code: 404; ...)`;
 * - the result is over 256 KiB: `States.DataLimitExceeded`, which no Retry or Catch handles.
 */
export function stepFunctionsInvoker(functions: {
  invoke(reference: string, payload?: unknown): Promise<unknown>;
  arnOf(reference: string): string;
}): FunctionInvoker {
  return async (reference, payload) => {
    let result: unknown;
    try {
      result = await functions.invoke(reference, payload);
    } catch (error) {
      throw taskError(error);
    }
    if (Buffer.byteLength(JSON.stringify(result), "utf8") > MAX_TASK_RESULT_BYTES) {
      throw new StatesError(
        STATES_ERRORS.DataLimitExceeded,
        `The state/task '${functions.arnOf(reference)}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      );
    }
    return result;
  };
}

function taskError(error: unknown): unknown {
  if (error instanceof FunctionFailure) return new StatesError(error.name, JSON.stringify(error.report));
  if (error instanceof FunctionsError) {
    return new StatesError(
      `Lambda.${error.name}`,
      `${error.message} (Service: AWSLambda; Status Code: ${error.status}; Error Code: ${error.name}; Request ID: ${randomUUID()}; Proxy: null)`,
    );
  }
  // A bug of Inflow's, not the function's: the task fails with its name and message.
  return error;
}
