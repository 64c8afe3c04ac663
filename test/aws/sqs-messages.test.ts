import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { rawCall, rejectionOf, type SqsServer, startSqsServer } from "./support.js";

describe.each(BACKENDS)("SQS messages over the wire on %s", (dialect) => {
  let server: SqsServer;
  let counter = 0;

  beforeAll(async () => {
    server = await startSqsServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createQueue(attributes: Record<string, string> = {}, fifo = false): Promise<string> {
    counter += 1;
    const QueueName = `msg-${counter}${fifo ? ".fifo" : ""}`;
    const Attributes = fifo ? { FifoQueue: "true", ...attributes } : attributes;
    const { QueueUrl } = await server.client.send(new CreateQueueCommand({ QueueName, Attributes }));
    return QueueUrl!;
  }

  const send = (QueueUrl: string, MessageBody: string) =>
    server.client.send(new SendMessageCommand({ QueueUrl, MessageBody }));

  async function receive(
    QueueUrl: string,
    input: Partial<ReceiveMessageCommandInput> = {},
  ): Promise<Message[]> {
    const { Messages } = await server.client.send(new ReceiveMessageCommand({ QueueUrl, ...input }));
    return Messages ?? [];
  }

  async function counts(QueueUrl: string) {
    const { Attributes } = await server.client.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages),
      inflight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
    };
  }

  describe("sending", () => {
    it("answers the MD5 of the body, which the SDK checks (item 3)", async () => {
      const QueueUrl = await createQueue();
      const sent = await send(QueueUrl, "message");
      expect(sent.MD5OfMessageBody).toBe("78e731027d8fd50ed642340b7c9a63b3");
      expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(sent.MD5OfMessageAttributes).toBeUndefined();

      // A client seeing a tampered MD5 throws: the check is live, so a wrong MD5 from us would fail.
      const tampering = server.newClient();
      // The serialize step runs inside the SDK's MD5 check (initialize) and sees the decoded output.
      tampering.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          (result.output as { MD5OfMessageBody?: string }).MD5OfMessageBody = "0".repeat(32);
          return result;
        },
        { step: "serialize" },
      );
      const error = await rejectionOf(
        tampering.send(new SendMessageCommand({ QueueUrl, MessageBody: "message" })),
      );
      expect(error.message).toBe("InvalidChecksumError");
    });

    it("computes MD5OfMessageAttributes as AWS does, unaffected by AWSTraceHeader (item 4)", async () => {
      const QueueUrl = await createQueue();
      const sent = await server.client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: "traced",
          MessageAttributes: { MyAttribute: { DataType: "String", StringValue: "foobar" } },
          MessageSystemAttributes: {
            AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe" },
          },
        }),
      );
      expect(sent.MD5OfMessageAttributes).toBe("adb59cd4678ea5a855436b949cd07ab6");
      expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);

      const [message] = await receive(QueueUrl, {
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      });
      expect(message?.MD5OfMessageAttributes).toBe("adb59cd4678ea5a855436b949cd07ab6");
      expect(message?.MessageAttributes).toEqual({
        MyAttribute: { DataType: "String", StringValue: "foobar" },
      });
      expect(message?.Attributes?.AWSTraceHeader).toBe("Root=1-5759e988-bd862e3fe");
    });

    it("round-trips binary attributes with AWS's MD5", async () => {
      const QueueUrl = await createQueue();
      const value = Buffer.from(
        "traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01",
        "latin1",
      );
      await server.client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: "test",
          MessageAttributes: { attr1: { DataType: "Binary", BinaryValue: value } },
        }),
      );
      const [message] = await receive(QueueUrl, { MessageAttributeNames: ["All"] });
      // Recorded against AWS (LocalStack snapshot test_send_message_with_binary_attributes).
      expect(message?.MD5OfMessageAttributes).toBe("8cbe4db156db8a94db8b801b7addb984");
      expect(Buffer.from(message!.MessageAttributes!.attr1!.BinaryValue!)).toEqual(value);
    });

    it("rejects a body of 1,048,577 bytes, counting attributes too, and takes 1,048,576 (item 22)", async () => {
      const QueueUrl = await createQueue();
      const tooLong =
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.";
      const error = await rejectionOf(send(QueueUrl, "x".repeat(1_048_577)));
      expect(error.name).toBe("InvalidParameterValue");
      expect(error.message).toBe(tooLong);

      // 1,048,568 body bytes + "ab" + "String" + "x" = 1,048,577.
      const withAttribute = await rejectionOf(
        server.client.send(
          new SendMessageCommand({
            QueueUrl,
            MessageBody: "x".repeat(1_048_568),
            MessageAttributes: { ab: { DataType: "String", StringValue: "x" } },
          }),
        ),
      );
      expect(withAttribute.message).toBe(tooLong);

      const fits = await send(QueueUrl, "x".repeat(1_048_576));
      expect(fits.MessageId).toBeDefined();
    });

    it("rejects characters SQS does not allow in a body", async () => {
      const QueueUrl = await createQueue();
      const error = await rejectionOf(send(QueueUrl, "bell \u0007"));
      expect(error.name).toBe("InvalidMessageContents");
      expect(error.Code).toBe("InvalidMessageContents");
    });

    it("requires MessageBody", async () => {
      const QueueUrl = await createQueue();
      const response = await rawCall(server.url, "AmazonSQS.SendMessage", JSON.stringify({ QueueUrl }));
      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-query-error")).toBe("MissingParameter;Sender");
      expect(response.json()).toEqual({
        __type: "com.amazon.coral.service#MissingRequiredParameterException",
        message: "The request must contain the parameter MessageBody.",
      });
    });

    it("delays a message: counted as delayed and not receivable until due (item 29)", async () => {
      const QueueUrl = await createQueue();
      await server.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "later", DelaySeconds: 2 }));
      expect(await counts(QueueUrl)).toEqual({ visible: 0, inflight: 0, delayed: 1 });
      expect(await receive(QueueUrl)).toEqual([]);
      server.advance(3);
      const [message] = await receive(QueueUrl);
      expect(message?.Body).toBe("later");
    });
  });

  describe("batch sending", () => {
    it("sends up to ten entries and reports both lists", async () => {
      const QueueUrl = await createQueue();
      const result = await server.client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "a", MessageBody: "message" },
            {
              Id: "b-2_",
              MessageBody: "other",
              MessageAttributes: { Foo: { DataType: "String", StringValue: "Bar" } },
            },
          ],
        }),
      );
      expect(result.Failed).toEqual([]);
      expect(result.Successful?.map((entry) => entry.Id).sort()).toEqual(["a", "b-2_"]);
      const a = result.Successful!.find((entry) => entry.Id === "a")!;
      const b = result.Successful!.find((entry) => entry.Id === "b-2_")!;
      expect(a.MD5OfMessageBody).toBe("78e731027d8fd50ed642340b7c9a63b3");
      expect(b.MD5OfMessageAttributes).toBe("ae7155c6026991b6d54b11589678bf9c");
      expect((await counts(QueueUrl)).visible).toBe(2);
    });

    it("refuses 20 entries, none, and more than 1 MiB in total (item 23)", async () => {
      const QueueUrl = await createQueue();
      const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: "x" }));

      const tooMany = await rejectionOf(
        server.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(20) })),
      );
      expect(tooMany.name).toBe("TooManyEntriesInBatchRequest");
      expect(tooMany.Code).toBe("AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
      expect(tooMany.message).toBe("Maximum number of entries per request are 10. You have sent 20.");

      const empty = await rejectionOf(
        server.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })),
      );
      expect(empty.name).toBe("EmptyBatchRequest");
      expect(empty.Code).toBe("AWS.SimpleQueueService.EmptyBatchRequest");

      const tooLong = await rejectionOf(
        server.client.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: [
              { Id: "a", MessageBody: "x".repeat(524_289) },
              { Id: "b", MessageBody: "y".repeat(524_288) },
            ],
          }),
        ),
      );
      expect(tooLong.name).toBe("BatchRequestTooLong");
      expect(tooLong.Code).toBe("AWS.SimpleQueueService.BatchRequestTooLong");
      expect((await counts(QueueUrl)).visible).toBe(0);
    });

    it("fails only the entry over the queue's MaximumMessageSize, with HTTP 200 (item 24)", async () => {
      const QueueUrl = await createQueue({ MaximumMessageSize: "1024" });
      const result = await server.client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "big", MessageBody: "x".repeat(1025) },
            { Id: "small", MessageBody: "a" },
          ],
        }),
      );
      expect(result.$metadata.httpStatusCode).toBe(200);
      expect(result.Failed).toEqual([
        expect.objectContaining({ Id: "big", Code: "InvalidParameterValue", SenderFault: true }),
      ]);
      expect(result.Successful).toEqual([
        expect.objectContaining({ Id: "small", MD5OfMessageBody: "0cc175b9c0f1b6a831c399e269772661" }),
      ]);
    });

    it("refuses entry ids with ':' or over 80 characters, and repeated ids (item 25)", async () => {
      const QueueUrl = await createQueue();
      for (const Id of ["invalid:id", "x".repeat(81)]) {
        const error = await rejectionOf(
          server.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id, MessageBody: "x" }] })),
        );
        expect(error.name).toBe("InvalidBatchEntryId");
        expect(error.Code).toBe("AWS.SimpleQueueService.InvalidBatchEntryId");
        expect(error.message).toBe(
          "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
        );
      }
      const deleteError = await rejectionOf(
        server.client.send(
          new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: "bad:id", ReceiptHandle: "x" }] }),
        ),
      );
      expect(deleteError.name).toBe("InvalidBatchEntryId");

      const repeated = await rejectionOf(
        server.client.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: [
              { Id: "same", MessageBody: "1" },
              { Id: "same", MessageBody: "2" },
            ],
          }),
        ),
      );
      expect(repeated.name).toBe("BatchEntryIdsNotDistinct");
      expect(repeated.Code).toBe("AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
    });

    it("always sends both Successful and Failed", async () => {
      const QueueUrl = await createQueue();
      const response = await rawCall(
        server.url,
        "AmazonSQS.SendMessageBatch",
        JSON.stringify({ QueueUrl, Entries: [{ Id: "one", MessageBody: "x" }] }),
      );
      expect(response.status).toBe(200);
      expect(response.json().Failed).toEqual([]);
      expect(response.json().Successful).toHaveLength(1);
    });
  });

  describe("receiving", () => {
    it("answers {} for an empty queue (item 5)", async () => {
      const QueueUrl = await createQueue();
      const response = await rawCall(
        server.url,
        "AmazonSQS.ReceiveMessage",
        JSON.stringify({ QueueUrl, WaitTimeSeconds: 0 }),
      );
      expect(response.status).toBe(200);
      expect(response.text).toBe("{}");
    });

    it("long-polls until a message arrives (item 6)", async () => {
      const QueueUrl = await createQueue();
      const started = Date.now();
      const polling = receive(QueueUrl, { WaitTimeSeconds: 10 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await send(QueueUrl, "arrived");
      const messages = await polling;
      const elapsed = Date.now() - started;
      expect(messages.map((message) => message.Body)).toEqual(["arrived"]);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(3000);
    });

    it("returns what is there at once rather than waiting to fill the batch (item 7)", async () => {
      const QueueUrl = await createQueue();
      await send(QueueUrl, "one");
      await send(QueueUrl, "two");
      const started = Date.now();
      const messages = await receive(QueueUrl, { MaxNumberOfMessages: 3, WaitTimeSeconds: 5 });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(messages.length).toBeGreaterThanOrEqual(1);
    });

    it("refuses MaxNumberOfMessages, WaitTimeSeconds and VisibilityTimeout out of range (items 8, 9)", async () => {
      const QueueUrl = await createQueue();
      const cases: Array<[Partial<ReceiveMessageCommandInput>, string]> = [
        [
          { MaxNumberOfMessages: 11 },
          "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        ],
        [
          { MaxNumberOfMessages: 0 },
          "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        ],
        [
          { WaitTimeSeconds: 21 },
          "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
        ],
        [
          { WaitTimeSeconds: -1 },
          "Value -1 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
        ],
        [
          { VisibilityTimeout: 43_201 },
          "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.",
        ],
      ];
      for (const [input, message] of cases) {
        const error = await rejectionOf(
          server.client.send(new ReceiveMessageCommand({ QueueUrl, ...input })),
        );
        expect(error.name).toBe("InvalidParameterValue");
        expect(error.Code).toBe("InvalidParameterValue");
        expect(error.message).toBe(message);
      }
    });

    it("hides a received message for the visibility timeout, then redelivers it (item 10)", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "1" });
      await send(QueueUrl, "again");
      const [first] = await receive(QueueUrl, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] });
      expect(first?.Attributes).toEqual({ ApproximateReceiveCount: "1" });
      expect(await receive(QueueUrl)).toEqual([]);
      server.advance(2);
      // The deprecated AttributeNames takes system attribute names too (its SDK type says otherwise).
      const [second] = await receive(QueueUrl, {
        AttributeNames: ["ApproximateReceiveCount" as QueueAttributeName],
      });
      expect(second?.MessageId).toBe(first?.MessageId);
      expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
      expect(second?.Attributes?.ApproximateReceiveCount).toBe("2");
    });

    it("keeps ApproximateFirstReceiveTimestamp across receives, after SentTimestamp (item 11)", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "0" });
      await send(QueueUrl, "stamped");
      const [first] = await receive(QueueUrl, { MessageSystemAttributeNames: ["All"] });
      const [second] = await receive(QueueUrl, { MessageSystemAttributeNames: ["All"] });
      const firstReceive = first?.Attributes?.ApproximateFirstReceiveTimestamp;
      const sent = first?.Attributes?.SentTimestamp;
      expect(firstReceive).toMatch(/^\d{13}$/);
      expect(sent).toMatch(/^\d{13}$/);
      expect(Number(sent)).toBeLessThanOrEqual(Number(firstReceive));
      expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(firstReceive);
      expect(second?.Attributes?.SentTimestamp).toBe(sent);
    });

    it("makes a message received with VisibilityTimeout 0 receivable again at once (item 12)", async () => {
      const QueueUrl = await createQueue();
      await send(QueueUrl, "zero");
      const [first] = await receive(QueueUrl, { VisibilityTimeout: 0 });
      const [second] = await receive(QueueUrl);
      expect(second?.MessageId).toBe(first?.MessageId);
    });

    it("returns only the message attributes asked for, with the MD5 of those", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "0" });
      await server.client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: "msg",
          MessageAttributes: {
            "Help.Me": { DataType: "String", StringValue: "Me" },
            Hello: { DataType: "String", StringValue: "There" },
            General: { DataType: "String", StringValue: "Kenobi" },
          },
        }),
      );
      const pick = async (MessageAttributeNames: string[]) => {
        const [message] = await receive(QueueUrl, { MessageAttributeNames });
        return {
          names: Object.keys(message?.MessageAttributes ?? {}).sort(),
          md5: message?.MD5OfMessageAttributes,
        };
      };
      // MD5s recorded against AWS (LocalStack snapshot test_receive_message_message_attribute_names_filters).
      const all = { names: ["General", "Hello", "Help.Me"], md5: "4c360f3fdafd970e05fae2f149d997f5" };
      expect(await pick(["All"])).toEqual(all);
      expect(await pick([".*"])).toEqual(all);
      expect(await pick(["*"])).toEqual(all);
      expect(await pick([])).toEqual({ names: [], md5: undefined });
      expect(await pick(["Foo", "Help"])).toEqual({ names: [], md5: undefined });
      expect(await pick(["Hello", "General"])).toEqual({
        names: ["General", "Hello"],
        md5: "fca026605781cb4126a1e9044df24232",
      });
      expect(await pick(["Foo", "Hello"])).toEqual({
        names: ["Hello"],
        md5: "a311262e065454b75da111d535b8dacd",
      });
      expect(await pick(["Hel.*"])).toEqual({
        names: ["Hello", "Help.Me"],
        md5: "83fee93c1bcd8b9a5a923ffacdc636c7",
      });
    });

    it("returns only the system attributes asked for, AttributeNames and MessageSystemAttributeNames together", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "0" });
      await send(QueueUrl, "msg");
      const [none] = await receive(QueueUrl, { AttributeNames: [], MessageSystemAttributeNames: [] });
      expect(none?.Attributes).toBeUndefined();
      const [one] = await receive(QueueUrl, { MessageSystemAttributeNames: ["SenderId"] });
      expect(Object.keys(one?.Attributes ?? {})).toEqual(["SenderId"]);
      const [union] = await receive(QueueUrl, {
        AttributeNames: ["SentTimestamp" as QueueAttributeName],
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      });
      expect(Object.keys(union?.Attributes ?? {}).sort()).toEqual([
        "ApproximateReceiveCount",
        "SentTimestamp",
      ]);
      const [all] = await receive(QueueUrl, { AttributeNames: ["All"] });
      expect(Object.keys(all?.Attributes ?? {})).toEqual(
        expect.arrayContaining([
          "SenderId",
          "SentTimestamp",
          "ApproximateReceiveCount",
          "ApproximateFirstReceiveTimestamp",
        ]),
      );
    });
  });

  describe("visibility and deletion", () => {
    it("makes a message receivable at once after ChangeMessageVisibility 0 (item 13)", async () => {
      const QueueUrl = await createQueue();
      await send(QueueUrl, "m");
      const [message] = await receive(QueueUrl);
      expect(await receive(QueueUrl)).toEqual([]);
      await server.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: message!.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      const [again] = await receive(QueueUrl);
      expect(again?.MessageId).toBe(message?.MessageId);
    });

    it("accepts ChangeMessageVisibility after the timeout ran out (item 14)", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "1" });
      await send(QueueUrl, "m");
      const [message] = await receive(QueueUrl);
      server.advance(2);
      const result = await server.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: message!.ReceiptHandle,
          VisibilityTimeout: 30,
        }),
      );
      expect(result.$metadata.httpStatusCode).toBe(200);
    });

    it("refuses ChangeMessageVisibility on a deleted message (item 15)", async () => {
      const QueueUrl = await createQueue();
      await send(QueueUrl, "m");
      const [message] = await receive(QueueUrl);
      await server.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle }));
      const error = await rejectionOf(
        server.client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl,
            ReceiptHandle: message!.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        ),
      );
      expect(error.name).toBe("InvalidParameterValue");
      expect(error.message).toContain(
        "Message does not exist or is not available for visibility timeout change.",
      );
    });

    it("deletes with an expired handle on a standard queue (item 16)", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "1" });
      await send(QueueUrl, "m");
      const [message] = await receive(QueueUrl);
      server.advance(2);
      const result = await server.client.send(
        new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle }),
      );
      expect(result.$metadata.httpStatusCode).toBe(200);
      expect(await counts(QueueUrl)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
      expect(await receive(QueueUrl)).toEqual([]);
    });

    it("refuses an expired handle on a FIFO queue (item 16)", async () => {
      const QueueUrl = await createQueue({ VisibilityTimeout: "1", ContentBasedDeduplication: "true" }, true);
      await server.client.send(
        new SendMessageCommand({ QueueUrl, MessageBody: "g1-m1", MessageGroupId: "g1" }),
      );
      const [message] = await receive(QueueUrl);
      server.advance(2);
      const error = await rejectionOf(
        server.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle })),
      );
      expect(error.name).toBe("InvalidParameterValue");
      expect(error.message).toContain("The receipt handle has expired.");
    });

    it("answers ReceiptHandleIsInvalid for a handle it never issued (item 17)", async () => {
      const QueueUrl = await createQueue();
      const error = await rejectionOf(
        server.client.send(
          new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: "INVALID", VisibilityTimeout: 0 }),
        ),
      );
      expect(error.name).toBe("ReceiptHandleIsInvalid");
      expect(error.Code).toBe("ReceiptHandleIsInvalid");
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
    });

    it("deletes and changes visibility in batches, reporting each entry", async () => {
      const QueueUrl = await createQueue();
      await send(QueueUrl, "one");
      await send(QueueUrl, "two");
      const messages = await receive(QueueUrl, { MaxNumberOfMessages: 10 });
      expect(messages).toHaveLength(2);
      const [one, two] = messages as [Message, Message];

      const changed = await server.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "one", ReceiptHandle: one.ReceiptHandle, VisibilityTimeout: 0 },
            { Id: "bogus", ReceiptHandle: "INVALID", VisibilityTimeout: 0 },
          ],
        }),
      );
      expect(changed.Successful).toEqual([{ Id: "one" }]);
      expect(changed.Failed).toEqual([
        expect.objectContaining({ Id: "bogus", Code: "ReceiptHandleIsInvalid" }),
      ]);
      const [visibleAgain] = await receive(QueueUrl);
      expect(visibleAgain?.MessageId).toBe(one.MessageId);

      const deleted = await server.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "one", ReceiptHandle: visibleAgain!.ReceiptHandle },
            { Id: "two", ReceiptHandle: two.ReceiptHandle },
          ],
        }),
      );
      expect(deleted.Successful?.map((entry) => entry.Id).sort()).toEqual(["one", "two"]);
      expect(deleted.Failed).toEqual([]);
      expect(await counts(QueueUrl)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    });
  });

  describe("FIFO", () => {
    it("refuses a per-message delay (item 29)", async () => {
      const QueueUrl = await createQueue({ ContentBasedDeduplication: "true" }, true);
      const error = await rejectionOf(
        server.client.send(
          new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageGroupId: "g", DelaySeconds: 2 }),
        ),
      );
      expect(error.name).toBe("InvalidParameterValue");
      expect(error.message).toBe(
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.",
      );
    });

    it("requires a group id, and a deduplication id without content-based deduplication (item 30)", async () => {
      const QueueUrl = await createQueue({}, true);
      const noGroup = await rejectionOf(
        server.client.send(
          new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageDeduplicationId: "d" }),
        ),
      );
      expect(noGroup.Code).toBe("MissingParameter");
      expect(noGroup.message).toBe("The request must contain the parameter MessageGroupId.");

      const noDedup = await rejectionOf(
        server.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageGroupId: "g" })),
      );
      expect(noDedup.name).toBe("InvalidParameterValue");
      expect(noDedup.message).toContain(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
    });

    it("accepts a duplicate within the interval but delivers once, also after deletion (item 31)", async () => {
      const QueueUrl = await createQueue({}, true);
      const message = {
        QueueUrl,
        MessageBody: '{"foo":"bar"}',
        MessageGroupId: "g",
        MessageDeduplicationId: "d1",
      };
      const first = await server.client.send(new SendMessageCommand(message));
      expect(first.SequenceNumber).toMatch(/^\d+$/);
      const [received] = await receive(QueueUrl);
      await server.client.send(
        new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received!.ReceiptHandle }),
      );

      const duplicate = await server.client.send(new SendMessageCommand(message));
      expect(duplicate.$metadata.httpStatusCode).toBe(200);
      expect(duplicate.MessageId).toBe(first.MessageId);
      expect(await receive(QueueUrl)).toEqual([]);
    });

    it("holds back a group while one of its messages is in flight (item 32)", async () => {
      const QueueUrl = await createQueue({ ContentBasedDeduplication: "true" }, true);
      await server.client.send(
        new SendMessageCommand({ QueueUrl, MessageBody: "message-1", MessageGroupId: "1" }),
      );
      await server.client.send(
        new SendMessageCommand({ QueueUrl, MessageBody: "message-2", MessageGroupId: "1" }),
      );
      const [first] = await receive(QueueUrl);
      expect(first?.Body).toBe("message-1");
      const concurrent = await Promise.all([
        receive(QueueUrl),
        receive(QueueUrl, { MaxNumberOfMessages: 10 }),
      ]);
      expect(concurrent.flat()).toEqual([]);
      await server.client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle }));
      const [next] = await receive(QueueUrl);
      expect(next?.Body).toBe("message-2");
    });
  });
});
