/**
 * Lambda's REST-JSON error shape: the HTTP status, the exception name in `x-amzn-ErrorType`
 * and `{Type, message}` in the body, as Lambda answers (the SDK reads the name from the header).
 */
export interface LambdaError {
  status: number;
  name: string;
  message: string;
  /** `User` for the caller's mistakes, `Service` for ours. */
  type: "User" | "Service";
}

export const lambdaError = (
  status: number,
  name: string,
  message: string,
  type: LambdaError["type"] = status >= 500 ? "Service" : "User",
): LambdaError => ({ status, name, message, type });

/** What Lambda answers to a request that breaks a constraint of its API model. */
export const validationError = (message: string) =>
  lambdaError(400, "ValidationException", `1 validation error detected: ${message}`);

export const invalidRequestContent = (reason: string) =>
  lambdaError(
    400,
    "InvalidRequestContentException",
    `Could not parse request body into json: Could not parse payload into json: ${reason}`,
  );

export const invalidParameterValue = (message: string) =>
  lambdaError(400, "InvalidParameterValueException", message);
