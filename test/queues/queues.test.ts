import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueError } from "../../src/queues/errors.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function errorOf(promise: Promise<unknown>): Promise<QueueError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof QueueError) return error;
    throw error;
  }
  throw new Error("expected a QueueError");
}

describe.each(BACKENDS)("queues on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let clockOffset = 0;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store, { now: () => Date.now() + clockOffset });
  });
  afterAll(async () => {
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  it("sends, receives with a fresh receipt handle per receive, and deletes", async () => {
    await queues.createQueue("basic", { VisibilityTimeout: "1" });
    const sent = await queues.sendMessage("basic", { body: "hello" });
    expect(sent.md5OfMessageBody).toBe("5d41402abc4b2a76b9719d911017c592");

    const [first] = await queues.receiveMessage("basic", { visibilityTimeout: 0 });
    const [second] = await queues.receiveMessage("basic", { visibilityTimeout: 30 });
    expect(first?.messageId).toBe(sent.messageId);
    expect(second?.messageId).toBe(sent.messageId);
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    expect(second?.attributes.ApproximateReceiveCount).toBe("2");
    expect(second?.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first?.attributes.ApproximateFirstReceiveTimestamp,
    );

    expect(await queues.receiveMessage("basic")).toEqual([]);
    await queues.deleteMessage("basic", second!.receiptHandle);
    const counts = await queues.getQueueAttributes("basic", ["All"]);
    expect(counts.ApproximateNumberOfMessages).toBe("0");
    expect(counts.ApproximateNumberOfMessagesNotVisible).toBe("0");
  });

  it("returns a message again once its visibility timeout runs out", async () => {
    await queues.createQueue("visibility");
    await queues.sendMessage("visibility", { body: "x" });
    const [message] = await queues.receiveMessage("visibility", { visibilityTimeout: 1 });
    expect(await queues.receiveMessage("visibility")).toEqual([]);
    const again = await queues.receiveMessage("visibility", { waitTimeSeconds: 3 });
    expect(again[0]?.messageId).toBe(message?.messageId);
  });

  it("wakes a long poll as soon as a message is sent", async () => {
    await queues.createQueue("long-poll");
    const started = Date.now();
    const polling = queues.receiveMessage("long-poll", { waitTimeSeconds: 10 });
    await sleep(300);
    await queues.sendMessage("long-poll", { body: "wake up" });
    const messages = await polling;
    expect(messages.map((m) => m.body)).toEqual(["wake up"]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("holds delayed messages back and counts them as delayed", async () => {
    await queues.createQueue("delayed");
    await queues.sendMessage("delayed", { body: "later", delaySeconds: 1 });
    const attributes = await queues.getQueueAttributes("delayed", ["ApproximateNumberOfMessagesDelayed"]);
    expect(attributes).toEqual({ ApproximateNumberOfMessagesDelayed: "1" });
    expect(await queues.receiveMessage("delayed")).toEqual([]);
    const messages = await queues.receiveMessage("delayed", { waitTimeSeconds: 3 });
    expect(messages.map((m) => m.body)).toEqual(["later"]);
  });

  it("moves a message received too often to the dead-letter queue, keeping its id", async () => {
    const dlq = await queues.createQueue("orders-dlq");
    const source = await queues.createQueue("orders", {
      VisibilityTimeout: "0",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    const sent = await queues.sendMessage("orders", { body: "poison" });
    expect((await queues.receiveMessage("orders")).length).toBe(1);
    expect(await queues.receiveMessage("orders")).toEqual([]);
    const [dead] = await queues.receiveMessage("orders-dlq", { visibilityTimeout: 0 });
    expect(dead?.messageId).toBe(sent.messageId);
    expect(dead?.attributes.ApproximateReceiveCount).toBe("2");
    expect(dead?.attributes.DeadLetterQueueSourceArn).toBe(source.arn);
    expect((await queues.listDeadLetterSourceQueues("orders-dlq")).names).toEqual(["orders"]);

    const { taskHandle } = await queues.startMessageMoveTask({ sourceArn: dlq.arn });
    expect(taskHandle).toBeTruthy();
    await expect
      .poll(async () => (await queues.listMessageMoveTasks(dlq.arn))[0]?.status, { timeout: 5000 })
      .toBe("COMPLETED");
    const [task] = await queues.listMessageMoveTasks(dlq.arn);
    expect(task?.approximateNumberOfMessagesMoved).toBe(1);
    const [back] = await queues.receiveMessage("orders");
    expect(back?.messageId).toBe(sent.messageId);
    expect(back?.attributes.ApproximateReceiveCount).toBe("1");
    expect(back?.attributes.DeadLetterQueueSourceArn).toBeUndefined();
  });

  it("refuses a move task from a queue that is nobody's dead-letter queue", async () => {
    const plain = await queues.createQueue("not-a-dlq");
    const error = await errorOf(queues.startMessageMoveTask({ sourceArn: plain.arn }));
    expect(error.queryCode).toBe("InvalidParameterValue");
    expect(error.message).toBe("Source queue must be configured as a Dead Letter Queue.");
  });

  it("delivers FIFO messages in order per group, one batch of a group in flight at a time", async () => {
    await queues.createQueue("jobs.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true" });
    for (const body of ["a1", "a2", "a3"])
      await queues.sendMessage("jobs.fifo", { body, messageGroupId: "a" });
    await queues.sendMessage("jobs.fifo", { body: "b1", messageGroupId: "b" });

    const [first] = await queues.receiveMessage("jobs.fifo", {
      maxNumberOfMessages: 1,
      visibilityTimeout: 30,
    });
    expect(first?.body).toBe("a1");
    const others = await queues.receiveMessage("jobs.fifo", { maxNumberOfMessages: 10 });
    expect(others.map((m) => m.body)).toEqual(["b1"]);
    await queues.deleteMessage("jobs.fifo", first!.receiptHandle);
    const rest = await queues.receiveMessage("jobs.fifo", { maxNumberOfMessages: 10 });
    expect(rest.map((m) => m.body)).toEqual(["a2", "a3"]);
    expect(Number(rest[0]!.attributes.SequenceNumber)).toBeLessThan(
      Number(rest[1]!.attributes.SequenceNumber),
    );
  });

  it("drops a FIFO duplicate inside the deduplication window, even after the original was deleted", async () => {
    await queues.createQueue("dedup.fifo", { FifoQueue: "true" });
    const original = await queues.sendMessage("dedup.fifo", {
      body: "one",
      messageGroupId: "g",
      messageDeduplicationId: "d-1",
    });
    const [message] = await queues.receiveMessage("dedup.fifo");
    await queues.deleteMessage("dedup.fifo", message!.receiptHandle);
    const duplicate = await queues.sendMessage("dedup.fifo", {
      body: "one again",
      messageGroupId: "g",
      messageDeduplicationId: "d-1",
    });
    expect(duplicate.messageId).toBe(original.messageId);
    expect(duplicate.sequenceNumber).toBe(original.sequenceNumber);
    expect(await queues.receiveMessage("dedup.fifo")).toEqual([]);
  });

  it("expires messages past the retention period", async () => {
    await queues.createQueue("retention", { MessageRetentionPeriod: "60" });
    await queues.sendMessage("retention", { body: "old" });
    clockOffset = 61_000;
    try {
      expect(await queues.receiveMessage("retention")).toEqual([]);
      expect(
        (await queues.getQueueAttributes("retention", ["ApproximateNumberOfMessages"]))
          .ApproximateNumberOfMessages,
      ).toBe("0");
    } finally {
      clockOffset = 0;
    }
  });

  it("purges visible, in-flight and delayed messages, once a minute", async () => {
    await queues.createQueue("purge");
    await queues.sendMessageBatch("purge", [
      { id: "visible", body: "1" },
      { id: "inflight", body: "2" },
      { id: "delayed", body: "3", delaySeconds: 60 },
    ]);
    await queues.receiveMessage("purge");
    await queues.purgeQueue("purge");
    const attributes = await queues.getQueueAttributes("purge", ["All"]);
    expect([
      attributes.ApproximateNumberOfMessages,
      attributes.ApproximateNumberOfMessagesNotVisible,
      attributes.ApproximateNumberOfMessagesDelayed,
    ]).toEqual(["0", "0", "0"]);
    const again = await errorOf(queues.purgeQueue("purge"));
    expect(again.name).toBe("PurgeQueueInProgress");
    expect(again.status).toBe(403);
  });

  it("reports per-entry failures in a batch without failing the others", async () => {
    await queues.createQueue("small", { MaximumMessageSize: "1024" });
    const result = await queues.sendMessageBatch("small", [
      { id: "ok", body: "fits" },
      { id: "big", body: "x".repeat(1025) },
    ]);
    expect(result.successful.map((entry) => entry.id)).toEqual(["ok"]);
    expect(result.failed).toEqual([
      {
        id: "big",
        code: "InvalidParameterValue",
        senderFault: true,
        message: "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
      },
    ]);
  });

  it("answers CreateQueue on an existing name by its attributes", async () => {
    await queues.createQueue("twice", { DelaySeconds: "1" });
    await expect(queues.createQueue("twice", { DelaySeconds: "1" })).resolves.toMatchObject({
      name: "twice",
    });
    const error = await errorOf(queues.createQueue("twice", { DelaySeconds: "2" }));
    expect(error.name).toBe("QueueNameExists");
    await queues.deleteQueue("twice");
    expect((await errorOf(queues.createQueue("twice"))).name).toBe("QueueDeletedRecently");
  });

  it("sends and deletes inside a caller's transaction, committed or rolled back with it", async () => {
    await queues.createQueue("transactional");
    await store
      .transaction(async (tx) => {
        await queues.within(tx).sendMessage("transactional", { body: "rolled back" });
        throw new Error("abort");
      })
      .catch(() => undefined);
    expect(await queues.receiveMessage("transactional")).toEqual([]);

    await store.transaction(async (tx) => {
      await queues.within(tx).sendMessage("transactional", { body: "committed" });
    });
    const [message] = await queues.receiveMessage("transactional", { visibilityTimeout: 0 });
    expect(message?.body).toBe("committed");
    await store.transaction(async (tx) => {
      await queues.within(tx).deleteMessage("transactional", message!.receiptHandle);
    });
    expect(await queues.receiveMessage("transactional")).toEqual([]);
  });
});
