/**
 * SQS errors as typed values. `name` is the error shape of the SQS API (what the AWS SDK throws),
 * `queryCode` the legacy code SQS sends in `x-amzn-query-error`, `status` the HTTP status.
 */
export class QueueError extends Error {
  override readonly name: string;
  readonly queryCode: string;
  readonly status: number;

  constructor(name: string, message: string, options: { queryCode?: string; status?: number } = {}) {
    super(message);
    this.name = name;
    this.queryCode = options.queryCode ?? name;
    this.status = options.status ?? 400;
  }
}

const prefixed = (name: string) => `AWS.SimpleQueueService.${name}`;

export const queueDoesNotExist = () =>
  new QueueError("QueueDoesNotExist", "The specified queue does not exist.", {
    queryCode: prefixed("NonExistentQueue"),
  });

export const queueNameExists = (attribute: string) =>
  new QueueError(
    "QueueNameExists",
    `A queue already exists with the same name and a different value for attribute ${attribute}`,
    { queryCode: "QueueAlreadyExists" },
  );

export const queueDeletedRecently = () =>
  new QueueError(
    "QueueDeletedRecently",
    "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
    { queryCode: prefixed("QueueDeletedRecently") },
  );

export const invalidParameterValue = (message: string) =>
  new QueueError("InvalidParameterValueException", message, { queryCode: "InvalidParameterValue" });

/** `Value X for parameter P is invalid. Reason: R.` as SQS words it. */
export const invalidParameter = (parameter: string, value: unknown, reason: string) =>
  invalidParameterValue(`Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`);

export const missingParameter = (parameter: string) =>
  new QueueError(
    "MissingRequiredParameterException",
    `The request must contain the parameter ${parameter}.`,
    {
      queryCode: "MissingParameter",
    },
  );

export const invalidAttributeName = (name: string) =>
  new QueueError("InvalidAttributeName", `Unknown Attribute ${name}.`);

export const invalidAttributeValue = (name: string, reason?: string) =>
  new QueueError(
    "InvalidAttributeValue",
    `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ""}`,
  );

export const receiptHandleIsInvalid = (handle: string) =>
  new QueueError(
    "ReceiptHandleIsInvalid",
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

export const invalidMessageContents = () =>
  new QueueError(
    "InvalidMessageContents",
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
  );

export const purgeQueueInProgress = (name: string) =>
  new QueueError(
    "PurgeQueueInProgress",
    `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
    {
      queryCode: prefixed("PurgeQueueInProgress"),
      status: 403,
    },
  );

export const emptyBatchRequest = (entryKind: string) =>
  new QueueError("EmptyBatchRequest", `There should be at least one ${entryKind} in the request.`, {
    queryCode: prefixed("EmptyBatchRequest"),
  });

export const tooManyEntriesInBatchRequest = (count: number) =>
  new QueueError(
    "TooManyEntriesInBatchRequest",
    `Maximum number of entries per request are 10. You have sent ${count}.`,
    { queryCode: prefixed("TooManyEntriesInBatchRequest") },
  );

export const batchEntryIdsNotDistinct = (id: string) =>
  new QueueError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`, {
    queryCode: prefixed("BatchEntryIdsNotDistinct"),
  });

export const invalidBatchEntryId = () =>
  new QueueError(
    "InvalidBatchEntryId",
    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
    { queryCode: prefixed("InvalidBatchEntryId") },
  );

export const batchRequestTooLong = (size: number) =>
  new QueueError(
    "BatchRequestTooLong",
    `Batch requests cannot be longer than 1048576 bytes. You have sent ${size} bytes.`,
    { queryCode: prefixed("BatchRequestTooLong") },
  );

export const resourceNotFound = (
  message = "The resource that you specified for the SourceArn parameter doesn't exist.",
) => new QueueError("ResourceNotFoundException", message, { status: 404 });

export const unsupportedOperation = (message: string) =>
  new QueueError("UnsupportedOperation", message, { queryCode: prefixed("UnsupportedOperation") });
