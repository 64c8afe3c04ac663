import {
  batchEntryIdsNotDistinct,
  batchRequestTooLong,
  emptyBatchRequest,
  invalidBatchEntryId,
  invalidMessageContents,
  invalidParameter,
  invalidParameterValue,
  missingParameter,
  tooManyEntriesInBatchRequest,
} from "./errors.js";
import type { MessageAttributes, SendInput } from "./types.js";

export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 1_048_576;
const MAX_ATTRIBUTES = 10;
const MAX_DELAY_SECONDS = 900;

// The XML 1.0 character set SQS accepts: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
// With the `u` flag a lone surrogate is its own code point and falls outside every range.
const VALID_CONTENT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const ATTRIBUTE_NAME = /^[\u00C0-\u017Fa-zA-Z0-9_.-]+$/;
const ATTRIBUTE_TYPE = /^(String|Number|Binary)(\.[^\s]+)?$/;
const FIFO_ID = /^[\x21-\x7E]{1,128}$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Body bytes plus every attribute's name, type and value bytes: what counts against MaximumMessageSize. */
export function messageSize(body: string, attributes: MessageAttributes | undefined): number {
  let size = Buffer.byteLength(body, "utf8");
  for (const [name, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType, "utf8");
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue, "utf8");
    if (value.BinaryValue !== undefined) size += Buffer.from(value.BinaryValue, "base64").length;
  }
  return size;
}

/** Checks one message against SQS's rules for its queue; throws the error SQS gives. */
export function checkMessage(
  input: SendInput,
  queue: { fifo: boolean; maximumMessageSize: number; contentBasedDeduplication: boolean },
): void {
  if (typeof input.body !== "string" || input.body.length === 0) throw missingParameter("MessageBody");
  if (messageSize(input.body, input.messageAttributes) > queue.maximumMessageSize) {
    throw invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`,
    );
  }
  if (!VALID_CONTENT.test(input.body)) throw invalidMessageContents();
  checkAttributes(input.messageAttributes);
  checkSystemAttributes(input.messageSystemAttributes);

  if (input.delaySeconds !== undefined) {
    if (
      !Number.isInteger(input.delaySeconds) ||
      input.delaySeconds < 0 ||
      input.delaySeconds > MAX_DELAY_SECONDS
    ) {
      throw invalidParameter("DelaySeconds", input.delaySeconds, "DelaySeconds must be >= 0 and <= 900.");
    }
    if (queue.fifo && input.delaySeconds > 0) {
      throw invalidParameter(
        "DelaySeconds",
        input.delaySeconds,
        "The request include parameter that is not valid for this queue type.",
      );
    }
  }

  if (queue.fifo) {
    if (input.messageGroupId === undefined) throw missingParameter("MessageGroupId");
    checkFifoId("MessageGroupId", input.messageGroupId);
    if (input.messageDeduplicationId === undefined && !queue.contentBasedDeduplication) {
      throw invalidParameterValue(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
    }
    if (input.messageDeduplicationId !== undefined) {
      checkFifoId("MessageDeduplicationId", input.messageDeduplicationId);
    }
  } else {
    if (input.messageDeduplicationId !== undefined) {
      throw invalidParameter(
        "MessageDeduplicationId",
        input.messageDeduplicationId,
        "The request includes a parameter that is not valid for this queue type.",
      );
    }
    if (input.messageGroupId !== undefined) checkFifoId("MessageGroupId", input.messageGroupId);
  }
}

function checkFifoId(parameter: string, value: string): void {
  if (!FIFO_ID.test(value)) {
    throw invalidParameter(
      parameter,
      value,
      `${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
}

function checkAttributes(attributes: MessageAttributes | undefined): void {
  if (!attributes) return;
  const names = Object.keys(attributes);
  if (names.length > MAX_ATTRIBUTES) {
    throw invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  for (const name of names) {
    if (Buffer.byteLength(name, "utf8") >= 256) {
      throw invalidParameterValue("Message (user) attribute names must be shorter than 256 Bytes");
    }
    if (!ATTRIBUTE_NAME.test(name)) {
      throw invalidParameterValue(
        "Message (user) attributes name can only contain upper and lower score characters, digits, periods, hyphens and underscores. ",
      );
    }
    const lower = name.toLowerCase();
    if (
      lower.startsWith("aws.") ||
      lower.startsWith("amazon.") ||
      name.startsWith(".") ||
      name.endsWith(".")
    ) {
      throw invalidParameterValue(
        "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use. Additionally, they cannot start or end with '.'.",
      );
    }
    checkAttributeValue(name, attributes[name]);
  }
}

function checkAttributeValue(name: string, value: MessageAttributes[string] | undefined): void {
  const type = value?.DataType;
  if (!type)
    throw invalidParameterValue(
      `The message attribute '${name}' must contain a non-empty message attribute type.`,
    );
  if (!ATTRIBUTE_TYPE.test(type) || Buffer.byteLength(type, "utf8") >= 256) {
    throw invalidParameterValue(
      `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  if (type.startsWith("Binary")) {
    if (value.BinaryValue === undefined || value.BinaryValue === "") {
      throw invalidParameterValue(
        `Message (user) attribute '${name}' must contain a non-empty value of type 'Binary'.`,
      );
    }
    return;
  }
  const text = value.StringValue;
  if (text === undefined || text === "") {
    throw invalidParameterValue(
      `Message (user) attribute '${name}' must contain a non-empty value of type '${type.startsWith("Number") ? "Number" : "String"}'.`,
    );
  }
  if (type.startsWith("Number") && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim())) {
    throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
  }
  if (!VALID_CONTENT.test(text)) {
    throw invalidParameterValue(
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    );
  }
}

function checkSystemAttributes(attributes: MessageAttributes | undefined): void {
  if (!attributes) return;
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== "AWSTraceHeader") {
      throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    }
    if (value.DataType !== "String" || !value.StringValue) {
      throw invalidParameterValue(
        "Message system attribute 'AWSTraceHeader' must be a non-empty value of type 'String'.",
      );
    }
  }
}

/** Checks the shape of a batch before any entry is acted on: count, ids, uniqueness. */
export function checkBatch(entries: ReadonlyArray<{ id: string }>, entryKind: string): void {
  if (entries.length === 0) throw emptyBatchRequest(entryKind);
  if (entries.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry.id !== "string" || !BATCH_ENTRY_ID.test(entry.id)) throw invalidBatchEntryId();
    if (seen.has(entry.id)) throw batchEntryIdsNotDistinct(entry.id);
    seen.add(entry.id);
  }
}

/** A send batch may not carry more than 1 MiB of messages in all. */
export function checkBatchSize(entries: ReadonlyArray<SendInput>): void {
  let total = 0;
  for (const entry of entries) total += messageSize(entry.body ?? "", entry.messageAttributes);
  if (total > MAX_BATCH_BYTES) throw batchRequestTooLong(total);
}
