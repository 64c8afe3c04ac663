import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { type SqsServer, startSqsServer } from "./support.js";

/** Item 33: sqs-consumer 14.2 (the last line for Node 20) works against the server unchanged. */
describe.each(BACKENDS)("sqs-consumer against the server on %s", (dialect) => {
  let server: SqsServer;
  let client: SQSClient;
  const operations: Array<{ operation: string; input: Record<string, unknown> }> = [];

  beforeAll(async () => {
    server = await startSqsServer(dialect);
    client = server.newClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        operations.push({
          operation: String(context.commandName),
          input: args.input as Record<string, unknown>,
        });
        return next(args);
      },
      { step: "initialize" },
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createQueue(QueueName: string): Promise<string> {
    return (await server.client.send(new CreateQueueCommand({ QueueName }))).QueueUrl!;
  }

  /** Runs a consumer until `done` resolves, then stops it (aborting its long poll). */
  async function consume(
    queueUrl: string,
    handleMessage: (message: Message) => Promise<Message | undefined>,
    done: Promise<unknown>,
  ): Promise<void> {
    const errors: Error[] = [];
    const consumer = Consumer.create({
      queueUrl,
      sqs: client,
      waitTimeSeconds: 1,
      terminateVisibilityTimeout: true,
      handleMessage,
    });
    consumer.on("error", (error) => errors.push(error));
    consumer.start();
    try {
      await Promise.race([
        done,
        new Promise((_, reject) => setTimeout(() => reject(new Error("consumer timed out")), 10_000)),
      ]);
    } finally {
      const stopped = new Promise((resolve) => consumer.once("stopped", resolve));
      consumer.stop({ abort: true });
      await stopped;
    }
    expect(errors).toEqual([]);
  }

  async function remaining(QueueUrl: string): Promise<number> {
    const { Attributes } = await server.client.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  it("handles a message, then deletes it", async () => {
    const queueUrl = await createQueue("consumed");
    await server.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "invoice 1" }));
    const handled: string[] = [];
    let finish!: () => void;
    const deleted = new Promise<void>((resolve) => {
      finish = resolve;
    });
    await consume(
      queueUrl,
      async (message) => {
        handled.push(message.Body!);
        setTimeout(finish, 200);
        return message;
      },
      deleted,
    );
    expect(handled).toEqual(["invoice 1"]);
    expect(operations.some((call) => call.operation === "DeleteMessageCommand")).toBe(true);
    expect(await remaining(queueUrl)).toBe(0);
  });

  it("on a failing handler, makes the message visible again at once and gets it redelivered", async () => {
    const queueUrl = await createQueue("retried");
    const { MessageId } = await server.client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "flaky" }),
    );
    const attempts: string[] = [];
    let succeed!: () => void;
    const secondAttempt = new Promise<void>((resolve) => {
      succeed = resolve;
    });
    const started = Date.now();
    await consume(
      queueUrl,
      async (message) => {
        attempts.push(message.MessageId!);
        if (attempts.length === 1) throw new Error("service down");
        setTimeout(succeed, 200);
        return message;
      },
      secondAttempt,
    );
    // The queue's visibility timeout is 30 s: only ChangeMessageVisibility 0 explains a quick retry.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(attempts).toEqual([MessageId, MessageId]);
    expect(operations).toContainEqual({
      operation: "ChangeMessageVisibilityCommand",
      input: expect.objectContaining({ QueueUrl: queueUrl, VisibilityTimeout: 0 }),
    });
    expect(await remaining(queueUrl)).toBe(0);
  });
});
