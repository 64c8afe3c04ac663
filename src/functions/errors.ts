import type { ErrorReport } from "./types.js";

/**
 * The two ways an invocation goes wrong, as Lambda tells them apart. A `FunctionsError` is the
 * service refusing the call (no such function, a bad name or payload): `name` is Lambda's
 * exception name and `status` its HTTP status. A `FunctionFailure` is the function running and
 * failing: `name` is the error type the handler's error had (or Lambda's for timeouts and bad
 * results) and `report` what Lambda returns for it.
 */
export class FunctionsError extends Error {
  override readonly name: string;
  readonly status: number;

  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

export class FunctionFailure extends Error {
  override readonly name: string;
  readonly report: ErrorReport;

  constructor(report: ErrorReport) {
    super(report.errorMessage);
    this.name = report.errorType;
    this.report = report;
  }
}

export const functionNotFound = (arn: string) =>
  new FunctionsError("ResourceNotFoundException", `Function not found: ${arn}`, 404);

export const invalidFunctionName = (name: string) =>
  new FunctionsError(
    "ValidationException",
    `Invalid function name '${name}': use 1 to 64 letters, digits, hyphens (-) and underscores (_), as Lambda requires.`,
  );

export const invalidTimeout = (name: string, timeoutSeconds: unknown) =>
  new FunctionsError(
    "ValidationException",
    `Invalid timeout for function '${name}': ${String(timeoutSeconds)}. Use a whole number of seconds from 1 to 900, as Lambda allows.`,
  );

export const handlerNotAFunction = (name: string) =>
  new FunctionsError(
    "ValidationException",
    `The handler of function '${name}' is not a function: register an async (event, context) => result.`,
  );

export const functionAlreadyExists = (name: string) =>
  new FunctionsError(
    "ResourceConflictException",
    `Function already exist: ${name}. Each name is registered once; choose another name for the second handler.`,
    409,
  );

export const invalidPayload = (reason: string) =>
  new FunctionsError(
    "InvalidRequestContentException",
    `Could not serialize the payload as JSON: ${reason}. Send only JSON values (no cycles, BigInts or functions).`,
  );

export const requestTooLarge = (limit: number) =>
  new FunctionsError(
    "RequestTooLargeException",
    `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
    413,
  );

/** A mapping or schedule setting Lambda (or EventBridge Scheduler) would refuse. */
export const invalidParameter = (message: string) =>
  new FunctionsError("InvalidParameterValueException", message);

export const mappingNotFound = (uuid: string) =>
  new FunctionsError(
    "ResourceNotFoundException",
    `The event source mapping ${uuid} does not exist. List the mappings to find its UUID.`,
    404,
  );

export const mappingAlreadyExists = (queueArn: string, functionName: string, uuid: string) =>
  new FunctionsError(
    "ResourceConflictException",
    `An event source mapping with SQS arn (" ${queueArn} ") and function (" ${functionName} ") already exists. Please update or delete the existing mapping with UUID ${uuid}`,
    409,
  );

export const scheduleNotFound = (name: string) =>
  new FunctionsError("ResourceNotFoundException", `Schedule ${name} does not exist.`, 404);
