import { invalidParameter } from "../../../queues/errors.js";
import { md5OfMessageAttributes } from "../../../queues/md5.js";
import type {
  BatchEntryFailure,
  BatchResult,
  ReceivedMessage,
  SendInput,
  SendResult,
} from "../../../queues/types.js";
import {
  optionalInteger,
  optionalMessageAttributes,
  optionalString,
  optionalStringList,
  requiredEntries,
  requiredInteger,
  requiredString,
  type WireInput,
} from "../input.js";
import { selectMessageAttributes, selectSystemAttributes } from "../receive-filter.js";
import { type SqsOperation, targetQueue, unlessEmpty } from "./call.js";

/** Sending, receiving, deleting and changing the visibility of messages, one or a batch at a time. */
export const messageOperations: Record<string, SqsOperation> = {
  async SendMessage(call) {
    const name = targetQueue(call);
    return sendOutput(await call.queues.sendMessage(name, sendInput(call.input, "")));
  },

  async SendMessageBatch(call) {
    const name = targetQueue(call);
    const entries = requiredEntries(call.input).map((entry, index) => {
      const path = `SendMessageBatchRequestEntry.${index + 1}.`;
      return { id: requiredString(entry, "Id", `${path}Id`), ...sendInput(entry, path) };
    });
    return batchOutput(await call.queues.sendMessageBatch(name, entries), (result) => ({
      Id: result.id,
      ...sendOutput(result),
    }));
  },

  async ReceiveMessage(call) {
    const name = targetQueue(call);
    const { input } = call;
    const maxNumberOfMessages = optionalInteger(input, "MaxNumberOfMessages");
    if (maxNumberOfMessages !== undefined && (maxNumberOfMessages < 1 || maxNumberOfMessages > 10)) {
      throw invalidParameter(
        "MaxNumberOfMessages",
        maxNumberOfMessages,
        "Must be between 1 and 10, if provided.",
      );
    }
    const waitTimeSeconds = optionalInteger(input, "WaitTimeSeconds");
    if (waitTimeSeconds !== undefined && (waitTimeSeconds < 0 || waitTimeSeconds > 20)) {
      throw invalidParameter("WaitTimeSeconds", waitTimeSeconds, "Must be >= 0 and <= 20, if provided.");
    }
    const visibilityTimeout = optionalInteger(input, "VisibilityTimeout");
    if (visibilityTimeout !== undefined && (visibilityTimeout < 0 || visibilityTimeout > 43_200)) {
      throw invalidParameter(
        "VisibilityTimeout",
        visibilityTimeout,
        "Must be >= 0 and <= 43200, if provided.",
      );
    }
    // Accepted for FIFO clients that send it; the queues do not deduplicate receive attempts.
    optionalString(input, "ReceiveRequestAttemptId");
    const systemNames = [
      ...(optionalStringList(input, "AttributeNames") ?? []),
      ...(optionalStringList(input, "MessageSystemAttributeNames") ?? []),
    ];
    const attributeNames = optionalStringList(input, "MessageAttributeNames") ?? [];

    const messages = await call.queues.receiveMessage(name, {
      maxNumberOfMessages,
      waitTimeSeconds,
      visibilityTimeout,
      signal: call.signal,
    });
    if (messages.length === 0) return {};
    return { Messages: messages.map((message) => receivedOutput(message, systemNames, attributeNames)) };
  },

  async DeleteMessage(call) {
    const name = targetQueue(call);
    await call.queues.deleteMessage(name, requiredString(call.input, "ReceiptHandle"));
    return {};
  },

  async DeleteMessageBatch(call) {
    const name = targetQueue(call);
    const entries = requiredEntries(call.input).map((entry, index) => {
      const path = `DeleteMessageBatchRequestEntry.${index + 1}.`;
      return {
        id: requiredString(entry, "Id", `${path}Id`),
        receiptHandle: requiredString(entry, "ReceiptHandle", `${path}ReceiptHandle`),
      };
    });
    return batchOutput(await call.queues.deleteMessageBatch(name, entries), idOutput);
  },

  async ChangeMessageVisibility(call) {
    const name = targetQueue(call);
    const receiptHandle = requiredString(call.input, "ReceiptHandle");
    await call.queues.changeMessageVisibility(
      name,
      receiptHandle,
      requiredInteger(call.input, "VisibilityTimeout"),
    );
    return {};
  },

  async ChangeMessageVisibilityBatch(call) {
    const name = targetQueue(call);
    const entries = requiredEntries(call.input).map((entry, index) => {
      const path = `ChangeMessageVisibilityBatchRequestEntry.${index + 1}.`;
      return {
        id: requiredString(entry, "Id", `${path}Id`),
        receiptHandle: requiredString(entry, "ReceiptHandle", `${path}ReceiptHandle`),
        visibilityTimeout: requiredInteger(entry, "VisibilityTimeout", `${path}VisibilityTimeout`),
      };
    });
    return batchOutput(await call.queues.changeMessageVisibilityBatch(name, entries), idOutput);
  },
};

/** The members of SendMessage, which a SendMessageBatch entry repeats (`path` names the entry). */
function sendInput(input: WireInput, path: string): SendInput {
  return {
    body: requiredString(input, "MessageBody", `${path}MessageBody`),
    delaySeconds: optionalInteger(input, "DelaySeconds", `${path}DelaySeconds`),
    messageAttributes: optionalMessageAttributes(input, "MessageAttributes", `${path}MessageAttributes`),
    messageSystemAttributes: optionalMessageAttributes(
      input,
      "MessageSystemAttributes",
      `${path}MessageSystemAttributes`,
    ),
    messageDeduplicationId: optionalString(input, "MessageDeduplicationId", `${path}MessageDeduplicationId`),
    messageGroupId: optionalString(input, "MessageGroupId", `${path}MessageGroupId`),
  };
}

function sendOutput(result: SendResult) {
  return {
    MessageId: result.messageId,
    MD5OfMessageBody: result.md5OfMessageBody,
    MD5OfMessageAttributes: result.md5OfMessageAttributes,
    MD5OfMessageSystemAttributes: result.md5OfMessageSystemAttributes,
    SequenceNumber: result.sequenceNumber,
  };
}

const idOutput = (result: { id: string }) => ({ Id: result.id });

/** Batch outputs always carry both lists: the model requires them. */
function batchOutput<T>(result: BatchResult<T>, successOutput: (entry: T & { id: string }) => object) {
  return { Successful: result.successful.map(successOutput), Failed: result.failed.map(failureOutput) };
}

function failureOutput(failure: BatchEntryFailure) {
  return { Id: failure.id, SenderFault: failure.senderFault, Code: failure.code, Message: failure.message };
}

/**
 * A received message with the attributes asked for. MD5OfMessageAttributes covers the message
 * attributes actually returned, as SQS computes it (so clients that verify it agree).
 */
function receivedOutput(message: ReceivedMessage, systemNames: string[], attributeNames: string[]) {
  const messageAttributes = selectMessageAttributes(message.messageAttributes, attributeNames);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    Attributes: unlessEmpty(selectSystemAttributes(message.attributes, systemNames)),
    MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
    MessageAttributes: unlessEmpty(messageAttributes),
  };
}
