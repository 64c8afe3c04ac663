import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { ACCOUNT, rejectionOf, type SqsServer, startSqsServer } from "./support.js";

describe.each(BACKENDS)("SQS dead-letter queues and move tasks over the wire on %s", (dialect) => {
  let server: SqsServer;
  let counter = 0;

  beforeAll(async () => {
    server = await startSqsServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  const arnOf = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

  /** A source queue with maxReceiveCount 1 and visibility 0, and its dead-letter queue. */
  async function pair(): Promise<{ source: string; dlq: string; sourceArn: string; dlqArn: string }> {
    counter += 1;
    const dlqName = `dlq-${counter}`;
    const sourceName = `source-${counter}`;
    const { QueueUrl: dlq } = await server.client.send(new CreateQueueCommand({ QueueName: dlqName }));
    const { QueueUrl: source } = await server.client.send(
      new CreateQueueCommand({
        QueueName: sourceName,
        Attributes: {
          VisibilityTimeout: "0",
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(dlqName), maxReceiveCount: 1 }),
        },
      }),
    );
    return { source: source!, dlq: dlq!, sourceArn: arnOf(sourceName), dlqArn: arnOf(dlqName) };
  }

  async function receive(QueueUrl: string): Promise<Message[]> {
    const { Messages } = await server.client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return Messages ?? [];
  }

  /** Sends messages that end up in the source's DLQ: received once, moved there by the next receive. */
  async function deadLetter(source: string, bodies: string[]): Promise<void> {
    for (const MessageBody of bodies)
      await server.client.send(new SendMessageCommand({ QueueUrl: source, MessageBody }));
    expect(await receive(source)).toHaveLength(bodies.length);
    expect(await receive(source)).toEqual([]);
  }

  async function settledTask(SourceArn: string): Promise<ListMessageMoveTasksResultEntry> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { Results } = await server.client.send(new ListMessageMoveTasksCommand({ SourceArn }));
      const task = Results?.[0];
      if (task && task.Status !== "RUNNING" && task.Status !== "CANCELLING") return task;
      if (Date.now() > deadline) throw new Error(`task still ${task?.Status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("moves a message received more than maxReceiveCount times to the DLQ, as it was (item 18)", async () => {
    const { source, dlq, sourceArn } = await pair();
    const sent = await server.client.send(
      new SendMessageCommand({
        QueueUrl: source,
        MessageBody: "poison",
        MessageAttributes: { MyAttribute: { DataType: "String", StringValue: "foobar" } },
      }),
    );
    const first = await receive(source);
    expect(first.map((message) => message.MessageId)).toEqual([sent.MessageId]);
    expect(await receive(source)).toEqual([]);

    const [dead] = await receive(dlq);
    expect(dead?.MessageId).toBe(sent.MessageId);
    expect(dead?.Body).toBe("poison");
    expect(dead?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(sourceArn);
    expect(dead?.MD5OfMessageAttributes).toBe("adb59cd4678ea5a855436b949cd07ab6");
  });

  it("refuses a move task from a queue that is nobody's DLQ (item 20)", async () => {
    const { sourceArn } = await pair();
    const error = await rejectionOf(
      server.client.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn })),
    );
    expect(error.name).toBe("InvalidParameterValue");
    expect(error.message).toBe("Source queue must be configured as a Dead Letter Queue.");
  });

  it("moves dead letters back to their source and reports the task COMPLETED (item 20)", async () => {
    const { source, dlq, dlqArn } = await pair();
    await deadLetter(source, ["one", "two"]);
    const { TaskHandle } = await server.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(TaskHandle).toEqual(expect.any(String));

    const task = await settledTask(dlqArn);
    expect(task).toMatchObject({
      Status: "COMPLETED",
      SourceArn: dlqArn,
      ApproximateNumberOfMessagesMoved: 2,
    });
    expect(task.StartedTimestamp).toEqual(expect.any(Number));
    expect(task.TaskHandle).toBeUndefined();
    expect((await receive(source)).map((message) => message.Body).sort()).toEqual(["one", "two"]);
    expect(await receive(dlq)).toEqual([]);
  });

  it("moves dead letters to an explicit destination", async () => {
    const { source, dlq, dlqArn } = await pair();
    const { QueueUrl: elsewhere } = await server.client.send(
      new CreateQueueCommand({ QueueName: `elsewhere-${counter}` }),
    );
    await deadLetter(source, ["x"]);
    await server.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: arnOf(`elsewhere-${counter}`) }),
    );
    expect(await settledTask(dlqArn)).toMatchObject({
      Status: "COMPLETED",
      ApproximateNumberOfMessagesMoved: 1,
    });
    expect((await receive(elsewhere!)).map((message) => message.Body)).toEqual(["x"]);
    expect(await receive(dlq)).toEqual([]);
  });

  it("answers ResourceNotFoundException (404) for a destination that does not exist", async () => {
    const { source, dlqArn } = await pair();
    await deadLetter(source, ["x"]);
    const error = await rejectionOf(
      server.client.send(
        new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: arnOf("nowhere") }),
      ),
    );
    expect(error.name).toBe("ResourceNotFoundException");
    expect(error.$metadata).toMatchObject({ httpStatusCode: 404 });
  });

  it("allows one running task per source, and cancels it (item 21)", async () => {
    const { source, dlqArn } = await pair();
    await deadLetter(source, ["1", "2", "3", "4", "5", "6"]);
    const { TaskHandle } = await server.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    const running = await server.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(running.Results?.[0]).toMatchObject({
      Status: "RUNNING",
      TaskHandle,
      MaxNumberOfMessagesPerSecond: 1,
    });

    const second = await rejectionOf(
      server.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })),
    );
    expect(second.name).toBe("InvalidParameterValue");
    expect(second.message).toBe(
      "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    );

    const cancelled = await server.client.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThan(6);
    const task = await settledTask(dlqArn);
    expect(task.Status).toBe("CANCELLED");
  });
});
