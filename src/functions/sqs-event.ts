import type { ReceivedMessage } from "../queues/types.js";

/**
 * The event Lambda hands a function for a batch from SQS, field for field, so a handler written
 * for Lambda (`SQSEvent` of @types/aws-lambda) runs unchanged.
 */
export interface SqsEvent {
  Records: SqsRecord[];
}

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** System attributes as strings: ApproximateReceiveCount, SentTimestamp, SenderId, ... */
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsRecordAttribute>;
  md5OfBody: string;
  eventSource: "aws:sqs";
  eventSourceARN: string;
  awsRegion: string;
}

/** Lambda spells message attributes in lower camel case and always includes the (unused) list values. */
export interface SqsRecordAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

export function sqsRecord(message: ReceivedMessage, queueArn: string, region: string): SqsRecord {
  const messageAttributes: Record<string, SqsRecordAttribute> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.attributes,
    messageAttributes,
    md5OfBody: message.md5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
