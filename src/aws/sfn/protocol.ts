import { ServiceError } from "../../states/service-errors.js";
import type { AwsJsonResponse } from "../json-protocol.js";

/**
 * Step Functions over AWS JSON 1.0: errors are HTTP 400 with `{"__type":"<namespace>#<Name>",
 * "message":...}` and no other header. The SDK keeps the text after `#` as the exception name and
 * matches it to its modelled exceptions, so the namespace is informational.
 */

const STATES_NAMESPACE = "com.amazonaws.states";
/** Errors raised by the AWS service framework rather than modelled by Step Functions. */
const CORAL_NAMESPACE = "com.amazon.coral.service";
const CORAL_ERRORS: ReadonlySet<string> = new Set([
  "UnknownOperationException",
  "SerializationException",
  "InternalServerError",
]);

/** A failure of our own, never of the caller's request. */
const INTERNAL_SERVER_ERROR = "InternalServerError";

export function encodeSuccess(output: object): AwsJsonResponse {
  return { status: 200, body: JSON.stringify(output) };
}

/** Encodes a ServiceError as Step Functions does; anything else is a bug and answers 500. */
export function encodeError(error: unknown, onInternalError: (error: unknown) => void): AwsJsonResponse {
  if (error instanceof ServiceError) return encodeFailure(400, error.name, error.message, membersOf(error));
  onInternalError(error);
  return encodeFailure(
    500,
    INTERNAL_SERVER_ERROR,
    "The request processing has failed because of an unknown error.",
  );
}

export function encodeFailure(
  status: number,
  name: string,
  message: string,
  members: Record<string, string> = {},
): AwsJsonResponse {
  const namespace = CORAL_ERRORS.has(name) ? CORAL_NAMESPACE : STATES_NAMESPACE;
  return { status, body: JSON.stringify({ __type: `${namespace}#${name}`, message, ...members }) };
}

/** Members an exception carries beside its message: `resourceName` (TooManyTags, ResourceNotFound). */
function membersOf(error: ServiceError): Record<string, string> {
  const { resourceName } = error as { resourceName?: unknown };
  return typeof resourceName === "string" ? { resourceName } : {};
}

/** The body is not JSON, or a member has the wrong JSON type (Smithy's malformed-request rule). */
export const serializationException = (message: string) =>
  new ServiceError("SerializationException", message);

export const unknownOperation = (operation: string) =>
  new ServiceError("UnknownOperationException", `Unknown operation AWSStepFunctions.${operation}.`);

/** Constraint violations of the request, in AWS's (Coral's) wording, all reported at once. */
export const validationException = (violations: readonly string[]) =>
  new ServiceError(
    "ValidationException",
    `${violations.length} validation error${violations.length === 1 ? "" : "s"} detected: ${violations.join("; ")}`,
  );
