import { QueueError } from "../../queues/errors.js";
import type { AwsJsonResponse } from "../json-protocol.js";

/**
 * SQS over AWS JSON 1.0 with the awsQueryCompatible trait: every error carries its legacy query
 * code in `x-amzn-query-error`, which recent SDKs read first (without it they crash decoding).
 */

const SQS_NAMESPACE = "com.amazonaws.sqs";
/** Errors raised by the AWS service framework rather than modelled by SQS live in another namespace. */
const CORAL_NAMESPACE = "com.amazon.coral.service";
const CORAL_ERRORS: ReadonlySet<string> = new Set([
  "InvalidParameterValueException",
  "MissingRequiredParameterException",
  "UnknownOperationException",
  "SerializationException",
  "InternalFailure",
]);

export function encodeSuccess(output: object): AwsJsonResponse {
  return { status: 200, body: JSON.stringify(output) };
}

/** Encodes a QueueError as SQS does; anything else is a bug and becomes an InternalFailure. */
export function encodeError(error: unknown, onInternalError: (error: unknown) => void): AwsJsonResponse {
  let wire: QueueError;
  if (error instanceof QueueError) {
    wire = error;
  } else {
    onInternalError(error);
    wire = new QueueError(
      "InternalFailure",
      "The request processing has failed because of an unknown error.",
      {
        queryCode: "InternalError",
        status: 500,
      },
    );
  }
  const namespace = CORAL_ERRORS.has(wire.name) ? CORAL_NAMESPACE : SQS_NAMESPACE;
  return {
    status: wire.status,
    headers: { "x-amzn-query-error": `${wire.queryCode};${wire.status >= 500 ? "Receiver" : "Sender"}` },
    body: JSON.stringify({ __type: `${namespace}#${wire.name}`, message: wire.message }),
  };
}

/** The body is not JSON, or a member has the wrong JSON type (Smithy's malformed-request rule). */
export const serializationException = (message: string) =>
  new QueueError("SerializationException", message, { queryCode: "SerializationException" });

export const unknownOperation = (operation: string) =>
  new QueueError("UnknownOperationException", `Unknown operation AmazonSQS.${operation}.`, {
    queryCode: "UnknownOperation",
  });

export const invalidAddress = (address: string) =>
  new QueueError("InvalidAddress", `The address ${address} is not valid for this endpoint.`);
