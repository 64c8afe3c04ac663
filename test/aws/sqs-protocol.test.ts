import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { ACCOUNT, rawCall, rejectionOf, type SqsServer, startSqsServer } from "./support.js";

const JSON_1_0 = "application/x-amz-json-1.0";

describe.each(BACKENDS)("the SQS wire protocol on %s", (dialect) => {
  let server: SqsServer;
  let queueUrl: string;

  beforeAll(async () => {
    server = await startSqsServer(dialect);
    queueUrl = (await server.client.send(new CreateQueueCommand({ QueueName: "wire" }))).QueueUrl!;
  });
  afterAll(async () => {
    await server?.close();
  });

  const port = () => new URL(server.url).port;

  describe("framing", () => {
    it("takes the SDK's AWS JSON 1.0 request and answers in kind, with a request id and a date (item 1)", async () => {
      const client = server.newClient();
      const seen: {
        request?: { headers: Record<string, string> };
        response?: { headers: Record<string, string> };
      } = {};
      client.middlewareStack.add(
        (next) => async (args) => {
          seen.request = args.request as { headers: Record<string, string> };
          const result = await next(args);
          seen.response = result.response as { headers: Record<string, string> };
          return result;
        },
        { step: "finalizeRequest", priority: "low" },
      );
      const output = await client.send(new ListQueuesCommand({}));
      expect(seen.request?.headers["x-amz-target"]).toBe("AmazonSQS.ListQueues");
      expect(seen.request?.headers["content-type"]).toBe(JSON_1_0);
      expect(seen.response?.headers["content-type"]).toBe(JSON_1_0);
      expect(seen.response?.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(output.$metadata.requestId).toBe(seen.response?.headers["x-amzn-requestid"]);
      expect(Number.isNaN(Date.parse(seen.response?.headers.date ?? ""))).toBe(false);
    });

    it("leaves absent members out instead of sending null", async () => {
      const response = await rawCall(
        server.url,
        "AmazonSQS.SendMessage",
        JSON.stringify({ QueueUrl: queueUrl, MessageBody: "plain" }),
      );
      expect(response.status).toBe(200);
      expect(Object.keys(response.json()).sort()).toEqual(["MD5OfMessageBody", "MessageId"]);
      expect(response.text).not.toContain("null");
    });

    it("encodes errors with __type, message, the query code header and a request id", async () => {
      const response = await rawCall(
        server.url,
        "AmazonSQS.GetQueueUrl",
        JSON.stringify({ QueueName: "absent" }),
      );
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe(JSON_1_0);
      expect(response.headers.get("x-amzn-query-error")).toBe(
        "AWS.SimpleQueueService.NonExistentQueue;Sender",
      );
      expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.json()).toEqual({
        __type: "com.amazonaws.sqs#QueueDoesNotExist",
        message: "The specified queue does not exist.",
      });
    });

    it("puts InvalidParameterValueException in the coral namespace", async () => {
      const response = await rawCall(
        server.url,
        "AmazonSQS.ReceiveMessage",
        JSON.stringify({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 }),
      );
      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-query-error")).toBe("InvalidParameterValue;Sender");
      expect(response.json().__type).toBe("com.amazon.coral.service#InvalidParameterValueException");
    });

    it("takes a body with another content type, or none at all", async () => {
      const asJson = await rawCall(server.url, "AmazonSQS.ListQueues", "{}", {
        "content-type": "application/json",
      });
      expect(asJson.status).toBe(200);
      const empty = await fetch(server.url, {
        method: "POST",
        headers: { "x-amz-target": "AmazonSQS.ListQueues" },
      });
      expect(empty.status).toBe(200);
      expect(((await empty.json()) as { QueueUrls: string[] }).QueueUrls).toContain(queueUrl);
    });

    it("also answers on the queue URL's path, where older clients post", async () => {
      const response = await rawCall(
        `${server.url}/${ACCOUNT}/wire`,
        "AmazonSQS.GetQueueUrl",
        JSON.stringify({ QueueName: "wire" }),
      );
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ QueueUrl: queueUrl });
    });
  });

  describe("malformed requests", () => {
    it("answers an unknown operation with UnknownOperationException", async () => {
      const response = await rawCall(server.url, "AmazonSQS.Frobnicate", "{}");
      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-query-error")).toMatch(/;Sender$/);
      expect(response.json().__type).toBe("com.amazon.coral.service#UnknownOperationException");
    });

    it("answers an unknown or missing target with UnknownOperationException", async () => {
      for (const target of ["AmazonSNS.Publish", "AmazonSQS", undefined]) {
        const response = await rawCall(server.url, target, "{}");
        expect(response.status, String(target)).toBe(400);
        expect(response.json().__type).toBe("UnknownOperationException");
      }
    });

    it("answers a body that is not a JSON object with SerializationException", async () => {
      for (const body of ["{not json", "[1,2]", '"text"']) {
        const response = await rawCall(server.url, "AmazonSQS.ListQueues", body);
        expect(response.status, body).toBe(400);
        expect(response.headers.get("x-amzn-query-error")).toBe("SerializationException;Sender");
        expect(response.json().__type).toBe("com.amazon.coral.service#SerializationException");
      }
    });

    it("answers members of the wrong JSON type with SerializationException", async () => {
      const cases = [
        { QueueUrl: queueUrl, MaxNumberOfMessages: "5" },
        { QueueUrl: queueUrl, MaxNumberOfMessages: 1.5 },
        { QueueUrl: 42 },
        { QueueUrl: queueUrl, MessageAttributeNames: "All" },
        { QueueUrl: queueUrl, MessageAttributeNames: [1] },
      ];
      for (const input of cases) {
        const response = await rawCall(server.url, "AmazonSQS.ReceiveMessage", JSON.stringify(input));
        expect(response.status, JSON.stringify(input)).toBe(400);
        expect(response.json().__type).toBe("com.amazon.coral.service#SerializationException");
      }
      const badBinary = await rawCall(
        server.url,
        "AmazonSQS.SendMessage",
        JSON.stringify({
          QueueUrl: queueUrl,
          MessageBody: "x",
          MessageAttributes: { b: { DataType: "Binary", BinaryValue: "not base64!" } },
        }),
      );
      expect(badBinary.json().__type).toBe("com.amazon.coral.service#SerializationException");
    });

    it("answers missing required members with MissingParameter, JSON null counting as missing", async () => {
      const cases: Array<[string, object, string]> = [
        ["CreateQueue", {}, "QueueName"],
        ["GetQueueUrl", { QueueName: null }, "QueueName"],
        ["SendMessage", { MessageBody: "x" }, "QueueUrl"],
        ["DeleteMessage", { QueueUrl: queueUrl }, "ReceiptHandle"],
        ["ChangeMessageVisibility", { QueueUrl: queueUrl, ReceiptHandle: "h" }, "VisibilityTimeout"],
        ["SendMessageBatch", { QueueUrl: queueUrl }, "Entries"],
        ["SetQueueAttributes", { QueueUrl: queueUrl }, "Attributes"],
        ["StartMessageMoveTask", {}, "SourceArn"],
      ];
      for (const [operation, input, member] of cases) {
        const response = await rawCall(server.url, `AmazonSQS.${operation}`, JSON.stringify(input));
        expect(response.status, operation).toBe(400);
        expect(response.headers.get("x-amzn-query-error")).toBe("MissingParameter;Sender");
        expect(response.json()).toEqual({
          __type: "com.amazon.coral.service#MissingRequiredParameterException",
          message: `The request must contain the parameter ${member}.`,
        });
      }
    });

    it("answers the legacy query protocol with an XML error", async () => {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "Action=ListQueues&Version=2012-11-05",
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("xml");
      const text = await response.text();
      expect(text).toContain("<Code>InvalidAction</Code>");
      expect(text).toContain("JSON");
    });

    it("refuses a request body beyond the limit, in SQS's error format", async () => {
      const response = await rawCall(
        server.url,
        "AmazonSQS.SendMessage",
        `{"MessageBody":"${"x".repeat(5 * 1024 * 1024)}"}`,
      );
      expect(response.status).toBe(413);
      expect(response.headers.get("x-amzn-query-error")).toMatch(/;Sender$/);
      expect(response.json().__type).toMatch(/#RequestEntityTooLarge$/);
    });

    it("takes a 1 MiB message even when JSON escaping doubles it", async () => {
      const MessageBody = '"'.repeat(1_048_576);
      const sent = await server.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));
      expect(sent.MessageId).toBeDefined();
      const { Messages } = await server.client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
      );
      expect(Messages?.some((message) => message.Body === MessageBody)).toBe(true);
    });
  });

  describe("queue URLs", () => {
    it("builds queue URLs from the Host the caller used", async () => {
      const viaLocalhost = server.newClient({ endpoint: `http://localhost:${port()}` });
      const { QueueUrl } = await viaLocalhost.send(new GetQueueUrlCommand({ QueueName: "wire" }));
      expect(QueueUrl).toBe(`http://localhost:${port()}/${ACCOUNT}/wire`);
    });

    it("finds the queue from URLs with another host, scheme or path prefix", async () => {
      for (const QueueUrl of [
        `http://localhost:${port()}/${ACCOUNT}/wire`,
        `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/wire`,
        `http://proxy.example.com/inflow/${ACCOUNT}/wire`,
      ]) {
        const sent = await server.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "via" }));
        expect(sent.MessageId, QueueUrl).toBeDefined();
      }
    });

    it("knows no queue of another account, and no address that is not a queue URL", async () => {
      const otherAccount = await rejectionOf(
        server.client.send(
          new SendMessageCommand({ QueueUrl: `${server.url}/123456789012/wire`, MessageBody: "x" }),
        ),
      );
      expect(otherAccount.name).toBe("QueueDoesNotExist");
      const notAUrl = await rejectionOf(
        server.client.send(new SendMessageCommand({ QueueUrl: "wire", MessageBody: "x" })),
      );
      expect(notAUrl.name).toBe("InvalidAddress");
      const unknown = await rejectionOf(
        server.client.send(
          new SendMessageCommand({ QueueUrl: `${server.url}/${ACCOUNT}/absent`, MessageBody: "x" }),
        ),
      );
      expect(unknown.name).toBe("QueueDoesNotExist");
    });

    it("lets a client without an endpoint reach us through the queue URL", async () => {
      const warnings: unknown[] = [];
      const logger = { debug() {}, info() {}, warn: (...args: unknown[]) => warnings.push(args), error() {} };
      const defaultEndpoint = server.newClient({ endpoint: undefined, logger });
      const sent = await defaultEndpoint.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "direct" }),
      );
      expect(sent.MD5OfMessageBody).toBe("7caa701b2bd5a182b80c72b9bdf88e2d");
      // The SDK says it switched from its AWS endpoint to the queue URL's origin.
      expect(String(warnings[0])).toContain("using QueueUrl host as endpoint");
    });
  });

  describe("a configured public URL", () => {
    let behindProxy: SqsServer;
    beforeAll(async () => {
      behindProxy = await startSqsServer(dialect, { publicUrl: "https://queues.example.com/" });
    });
    afterAll(async () => {
      await behindProxy?.close();
    });

    it("is the base of every queue URL, whatever Host the caller used", async () => {
      const { QueueUrl } = await behindProxy.client.send(new CreateQueueCommand({ QueueName: "public" }));
      expect(QueueUrl).toBe(`https://queues.example.com/${ACCOUNT}/public`);
      const { QueueUrls } = await behindProxy.client.send(new ListQueuesCommand({}));
      expect(QueueUrls).toEqual([QueueUrl]);
      const sent = await behindProxy.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" }));
      expect(sent.MessageId).toBeDefined();
    });
  });
});
