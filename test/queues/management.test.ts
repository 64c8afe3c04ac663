import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueError } from "../../src/queues/errors.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

async function errorOf(promise: Promise<unknown>): Promise<QueueError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof QueueError) return error;
    throw error;
  }
  throw new Error("expected a QueueError");
}

describe.each(BACKENDS)("queue management on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
  });
  afterAll(async () => {
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  it("reports SQS's default attributes for a new queue", async () => {
    const ref = await queues.createQueue("defaults");
    const attributes = await queues.getQueueAttributes("defaults", ["All"]);
    expect(attributes).toMatchObject({
      QueueArn: ref.arn,
      VisibilityTimeout: "30",
      MaximumMessageSize: "1048576",
      MessageRetentionPeriod: "345600",
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      SqsManagedSseEnabled: "true",
      ApproximateNumberOfMessages: "0",
    });
    expect(attributes.FifoQueue).toBeUndefined();
    expect(Number(attributes.CreatedTimestamp)).toBeCloseTo(Date.now() / 1000, -1);
    expect(await queues.getQueueAttributes("defaults", [])).toEqual({});
  });

  it("rejects bad names and attributes with SQS's errors", async () => {
    expect((await errorOf(queues.createQueue("bad name"))).queryCode).toBe("InvalidParameterValue");
    expect((await errorOf(queues.createQueue("x".repeat(81)))).queryCode).toBe("InvalidParameterValue");
    expect((await errorOf(queues.createQueue("plain.fifo"))).queryCode).toBe("InvalidParameterValue");
    expect((await errorOf(queues.createQueue("nofifo", { FifoQueue: "true" }))).queryCode).toBe(
      "InvalidParameterValue",
    );
    expect((await errorOf(queues.createQueue("q1", { VisibilityTimeout: "43201" }))).name).toBe(
      "InvalidAttributeValue",
    );
    expect((await errorOf(queues.createQueue("q1", { Colour: "blue" }))).name).toBe("InvalidAttributeName");
    expect((await errorOf(queues.createQueue("q1", { ContentBasedDeduplication: "true" }))).name).toBe(
      "InvalidAttributeName",
    );
    await queues.createQueue("attrs");
    expect((await errorOf(queues.getQueueAttributes("attrs", ["Nope"]))).name).toBe("InvalidAttributeName");
    expect((await errorOf(queues.setQueueAttributes("attrs", { QueueArn: "x" }))).name).toBe(
      "InvalidAttributeName",
    );
    expect((await errorOf(queues.getQueue("missing"))).name).toBe("QueueDoesNotExist");
  });

  it("validates redrive policies: both keys, the count range, an existing target of the same type", async () => {
    const dlq = await queues.createQueue("redrive-dlq");
    await queues.createQueue("redrive-src");
    const bad = [
      JSON.stringify({ maxReceiveCount: 3 }),
      JSON.stringify({ deadLetterTargetArn: dlq.arn }),
      "invalid",
      JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 0 }),
      JSON.stringify({ deadLetterTargetArn: queues.arnOf("nowhere"), maxReceiveCount: 3 }),
    ];
    for (const policy of bad) {
      const error = await errorOf(queues.setQueueAttributes("redrive-src", { RedrivePolicy: policy }));
      expect(error.queryCode, policy).toBe("InvalidParameterValue");
    }
    const fifoDlq = await queues.createQueue("redrive-dlq.fifo", { FifoQueue: "true" });
    const mismatch = await errorOf(
      queues.setQueueAttributes("redrive-src", {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: fifoDlq.arn, maxReceiveCount: 3 }),
      }),
    );
    expect(mismatch.queryCode).toBe("InvalidParameterValue");

    await queues.setQueueAttributes("redrive-dlq", {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }),
    });
    const denied = await errorOf(
      queues.setQueueAttributes("redrive-src", {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
      }),
    );
    expect(denied.queryCode).toBe("InvalidParameterValue");
    await queues.setQueueAttributes("redrive-dlq", {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
    });
    const policy = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: "3" });
    await queues.setQueueAttributes("redrive-src", { RedrivePolicy: policy });
    expect(await queues.getQueueAttributes("redrive-src", ["RedrivePolicy"])).toEqual({
      RedrivePolicy: policy,
    });
    await queues.setQueueAttributes("redrive-src", { RedrivePolicy: "" });
    expect(await queues.getQueueAttributes("redrive-src", ["RedrivePolicy"])).toEqual({});
  });

  it("lists queues by prefix, in pages when MaxResults is given", async () => {
    for (const name of ["page-a", "page-b", "page-c"]) await queues.createQueue(name);
    expect((await queues.listQueues({ prefix: "page-" })).names).toEqual(["page-a", "page-b", "page-c"]);
    const first = await queues.listQueues({ prefix: "page-", maxResults: 2 });
    expect(first.names).toEqual(["page-a", "page-b"]);
    const second = await queues.listQueues({ prefix: "page-", maxResults: 2, nextToken: first.nextToken! });
    expect(second).toEqual({ names: ["page-c"] });
    expect((await errorOf(queues.listQueues({ maxResults: 0 }))).queryCode).toBe("InvalidParameterValue");
    expect((await errorOf(queues.listQueues({ nextToken: "garbage" }))).queryCode).toBe(
      "InvalidParameterValue",
    );
  });

  it("tags and untags a queue", async () => {
    await queues.createQueue("tagged", {}, { team: "ap" });
    await queues.tagQueue("tagged", { env: "test" });
    await queues.untagQueue("tagged", ["team"]);
    expect(await queues.listQueueTags("tagged")).toEqual({ env: "test" });
  });

  it("creates one queue when two callers race for the same name", async () => {
    const results = await Promise.all([queues.createQueue("raced"), queues.createQueue("raced")]);
    expect(results[0].id).toBe(results[1].id);
  });

  it("changes visibility only for messages that exist, within the 12-hour limit", async () => {
    await queues.createQueue("vis");
    await queues.sendMessage("vis", { body: "m" });
    const [message] = await queues.receiveMessage("vis", { visibilityTimeout: 30 });
    const tooLong = await errorOf(queues.changeMessageVisibility("vis", message!.receiptHandle, 43_201));
    expect(tooLong.queryCode).toBe("InvalidParameterValue");
    await queues.changeMessageVisibility("vis", message!.receiptHandle, 0);
    const [again] = await queues.receiveMessage("vis", { visibilityTimeout: 30 });
    expect(again?.messageId).toBe(message?.messageId);
    await queues.deleteMessage("vis", again!.receiptHandle);
    const gone = await errorOf(queues.changeMessageVisibility("vis", again!.receiptHandle, 10));
    expect(gone.message).toMatch(
      /Message does not exist or is not available for visibility timeout change\.$/,
    );
    const garbage = await errorOf(queues.changeMessageVisibility("vis", "INVALID", 10));
    expect(garbage.name).toBe("ReceiptHandleIsInvalid");
    const foreign = await errorOf(queues.deleteMessage("defaults", again!.receiptHandle));
    expect(foreign.name).toBe("ReceiptHandleIsInvalid");
  });

  it("deletes with an expired handle on a standard queue, but not on a FIFO queue", async () => {
    await queues.createQueue("stale");
    await queues.sendMessage("stale", { body: "s" });
    const [standard] = await queues.receiveMessage("stale", { visibilityTimeout: 0 });
    await queues.deleteMessage("stale", standard!.receiptHandle);
    expect(
      (await queues.getQueueAttributes("stale", ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages,
    ).toBe("0");

    await queues.createQueue("stale.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true" });
    await queues.sendMessage("stale.fifo", { body: "f", messageGroupId: "g" });
    const [fifo] = await queues.receiveMessage("stale.fifo", { visibilityTimeout: 0 });
    const expired = await errorOf(queues.deleteMessage("stale.fifo", fifo!.receiptHandle));
    expect(expired.message).toMatch(/The receipt handle has expired\.$/);
  });

  it("moves dead letters to a chosen destination and can cancel a rate-limited task", async () => {
    const dlq = await queues.createQueue("move-dlq");
    await queues.createQueue("move-src", {
      VisibilityTimeout: "0",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    const destination = await queues.createQueue("move-dest");
    for (let i = 0; i < 3; i++) await queues.sendMessage("move-src", { body: `dead-${i}` });
    await queues.receiveMessage("move-src", { maxNumberOfMessages: 10 });
    await queues.receiveMessage("move-src", { maxNumberOfMessages: 10 });
    expect(
      (await queues.getQueueAttributes("move-dlq", ["ApproximateNumberOfMessages"]))
        .ApproximateNumberOfMessages,
    ).toBe("3");
    const slow = await queues.startMessageMoveTask({
      sourceArn: dlq.arn,
      destinationArn: destination.arn,
      maxNumberOfMessagesPerSecond: 1,
    });
    const second = await errorOf(queues.startMessageMoveTask({ sourceArn: dlq.arn }));
    expect(second.message).toBe(
      "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    );
    await queues.cancelMessageMoveTask(slow.taskHandle);
    await expect
      .poll(async () => (await queues.listMessageMoveTasks(dlq.arn))[0]?.status, { timeout: 5000 })
      .toBe("CANCELLED");
    const [cancelled] = await queues.listMessageMoveTasks(dlq.arn);
    expect(cancelled?.taskHandle).toBeUndefined();
    expect(cancelled?.approximateNumberOfMessagesMoved).toBeLessThan(3);

    await queues.startMessageMoveTask({ sourceArn: dlq.arn, destinationArn: destination.arn });
    await expect
      .poll(async () => (await queues.listMessageMoveTasks(dlq.arn))[0]?.status, { timeout: 5000 })
      .toBe("COMPLETED");
    expect((await queues.listMessageMoveTasks(dlq.arn, 10)).length).toBe(2);
    const moved = await queues.receiveMessage("move-dest", { maxNumberOfMessages: 10 });
    expect(moved.map((m) => m.body).sort()).toEqual(["dead-0", "dead-1", "dead-2"]);

    const missing = await errorOf(
      queues.startMessageMoveTask({ sourceArn: dlq.arn, destinationArn: queues.arnOf("nowhere") }),
    );
    expect(missing.status).toBe(404);
  });
});
