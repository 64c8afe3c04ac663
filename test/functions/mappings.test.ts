import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMappingRunner, type MappingRunner } from "../../src/functions/mapping-runner.js";
import { createMappings, type Mappings } from "../../src/functions/mappings.js";
import { createFunctions, type Functions } from "../../src/functions/registry.js";
import type { SqsEvent } from "../../src/functions/sqs-event.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function until(check: () => boolean | Promise<boolean>, timeoutMillis = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(25);
  }
}

describe.each(BACKENDS)("event-source mappings on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let functions: Functions;
  let mappings: Mappings;
  let runner: MappingRunner;
  const errors: Error[] = [];
  /** Handlers by function name, swapped per test; each registered function calls its own. */
  const handlers = new Map<string, (event: SqsEvent) => Promise<unknown>>();
  let queueCount = 0;

  const register = (name: string, timeoutSeconds = 1) =>
    functions.register(name, (event: SqsEvent) => handlers.get(name)!(event), { timeoutSeconds });

  /** A fresh queue (and function name) per test. */
  const fresh = async (attributes: Record<string, string> = {}, fifo = false) => {
    queueCount += 1;
    const name = `q${queueCount}${fifo ? ".fifo" : ""}`;
    await queues.createQueue(name, {
      VisibilityTimeout: "1",
      ...attributes,
      ...(fifo ? { FifoQueue: "true" } : {}),
    });
    return { queue: name, fn: `f${queueCount}` };
  };

  const sendAll = async (queue: string, bodies: string[], extra: (i: number) => object = () => ({})) => {
    for (let i = 0; i < bodies.length; i += 10) {
      const result = await queues.sendMessageBatch(
        queue,
        bodies.slice(i, i + 10).map((body, j) => ({ id: String(j), body, ...extra(i + j) })),
      );
      expect(result.failed).toEqual([]);
    }
  };

  const depth = async (queue: string) => {
    const attributes = await queues.getQueueAttributes(queue, [
      "ApproximateNumberOfMessages",
      "ApproximateNumberOfMessagesNotVisible",
    ]);
    return (
      Number(attributes.ApproximateNumberOfMessages) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible)
    );
  };

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    functions = createFunctions();
    mappings = createMappings(store, queues, functions);
    runner = createMappingRunner(store, queues, functions, mappings, {
      region: "us-east-1",
      waitTimeSeconds: 1,
      onError: (error) => errors.push(error as Error),
    });
    await runner.start();
  });

  afterAll(async () => {
    await runner.close();
    await queues.close();
    await store.close();
    await database.drop();
  });

  it("hands batches of up to BatchSize records, shaped as Lambda's SQS event, and deletes them", async () => {
    const { queue, fn } = await fresh();
    const batches: SqsEvent[] = [];
    handlers.set(fn, async (event) => {
      batches.push(event);
    });
    register(fn);
    await sendAll(
      queue,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
      () => ({ messageAttributes: { kind: { DataType: "String", StringValue: "invoice" } } }),
    );
    await mappings.create({ queue, functionName: fn });
    await runner.sync();
    await until(() => batches.flatMap((batch) => batch.Records).length >= 25);
    await until(async () => (await depth(queue)) === 0);

    expect(Math.max(...batches.map((batch) => batch.Records.length))).toBe(10);
    const records = batches.flatMap((batch) => batch.Records);
    expect(new Set(records.map((record) => record.body)).size).toBe(25);
    const [record] = records;
    expect(Object.keys(record!).sort()).toEqual(
      [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
      ].sort(),
    );
    expect(record).toMatchObject({
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
      awsRegion: "us-east-1",
      attributes: { ApproximateReceiveCount: "1", SenderId: expect.any(String) },
      messageAttributes: {
        kind: { stringValue: "invoice", stringListValues: [], binaryListValues: [], dataType: "String" },
      },
    });
    expect(record!.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
  });

  it("gathers a batch over its batching window beyond one receive's 10 messages", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "5" });
    const sizes: number[] = [];
    handlers.set(fn, async (event) => {
      sizes.push(event.Records.length);
    });
    register(fn);
    await sendAll(
      queue,
      Array.from({ length: 15 }, (_, i) => `m${i}`),
    );
    await mappings.create({ queue, functionName: fn, batchSize: 50, maximumBatchingWindowInSeconds: 1 });
    await runner.sync();
    await until(() => sizes.reduce((a, b) => a + b, 0) >= 15);
    expect(sizes).toEqual([15]);
  });

  it("cuts a batch short of Lambda's 6 MB payload; the rest goes back at once", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "30" });
    const sizes: number[] = [];
    handlers.set(fn, async (event) => {
      sizes.push(event.Records.length);
    });
    register(fn);
    const body = "x".repeat(700_000);
    for (let i = 0; i < 10; i++) await queues.sendMessage(queue, { body: `${i}${body}` });
    await mappings.create({ queue, functionName: fn });
    await runner.sync();
    await until(() => sizes.reduce((a, b) => a + b, 0) >= 10);
    expect(Math.max(...sizes)).toBe(8);
  });

  it("retries only the items a ReportBatchItemFailures answer lists", async () => {
    const { queue, fn } = await fresh();
    const seen: Array<{ body: string; receives: string }> = [];
    handlers.set(fn, async (event) => {
      seen.push(
        ...event.Records.map((record) => ({
          body: record.body,
          receives: record.attributes.ApproximateReceiveCount!,
        })),
      );
      // Odd messages fail on their first receive.
      return {
        batchItemFailures: event.Records.filter(
          (record) => Number(record.body) % 2 === 1 && record.attributes.ApproximateReceiveCount === "1",
        ).map((record) => ({ itemIdentifier: record.messageId })),
      };
    });
    register(fn);
    await sendAll(queue, ["0", "1", "2", "3"]);
    await mappings.create({ queue, functionName: fn, functionResponseTypes: ["ReportBatchItemFailures"] });
    await runner.sync();
    await until(async () => seen.length >= 6 && (await depth(queue)) === 0);
    const counts = (body: string) =>
      seen.filter((entry) => entry.body === body).map((entry) => entry.receives);
    expect(counts("0")).toEqual(["1"]);
    expect(counts("2")).toEqual(["1"]);
    expect(counts("1")).toEqual(["1", "2"]);
    expect(counts("3")).toEqual(["1", "2"]);
  });

  it("an unknown itemIdentifier fails the whole batch", async () => {
    const { queue, fn } = await fresh();
    const receives: string[] = [];
    handlers.set(fn, async (event) => {
      receives.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount!));
      return event.Records[0]!.attributes.ApproximateReceiveCount === "1"
        ? { batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] }
        : null;
    });
    register(fn);
    await sendAll(queue, ["a", "b"]);
    await mappings.create({ queue, functionName: fn, functionResponseTypes: ["ReportBatchItemFailures"] });
    await runner.sync();
    await until(async () => receives.length >= 4 && (await depth(queue)) === 0);
    expect(receives.sort()).toEqual(["1", "1", "2", "2"]);
  });

  it("a throwing handler's messages return after the visibility timeout and reach the DLQ past maxReceiveCount", async () => {
    const dlq = await fresh();
    const { queue, fn } = await fresh({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queues.arnOf(dlq.queue), maxReceiveCount: 2 }),
    });
    const receives: string[] = [];
    handlers.set(fn, async (event) => {
      receives.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount!));
      throw new TypeError("supplier service down");
    });
    register(fn);
    await sendAll(queue, ["doomed"]);
    const before = errors.length;
    await mappings.create({ queue, functionName: fn });
    await runner.sync();
    await until(async () => (await depth(dlq.queue)) === 1);
    expect(receives).toEqual(["1", "2"]);
    expect(await depth(queue)).toBe(0);
    const [dead] = await queues.receiveMessage(dlq.queue);
    expect(dead!.body).toBe("doomed");
    expect(dead!.attributes.DeadLetterQueueSourceArn).toBe(queues.arnOf(queue));
    const failure = errors.slice(before).find((error) => error.name === "EventSourceMapping.BatchFailed");
    expect(failure?.message).toContain("TypeError: supplier service down");
  });

  it("a handler slower than its timeout fails the batch; the message comes back", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "1" });
    const receives: string[] = [];
    handlers.set(fn, async (event) => {
      const count = event.Records[0]!.attributes.ApproximateReceiveCount!;
      receives.push(count);
      if (count === "1") await sleep(1500);
    });
    register(fn, 1);
    await sendAll(queue, ["slow"]);
    const before = errors.length;
    await mappings.create({ queue, functionName: fn });
    await runner.sync();
    await until(async () => receives.length >= 2 && (await depth(queue)) === 0);
    expect(receives.slice(0, 2)).toEqual(["1", "2"]);
    expect(
      errors
        .slice(before)
        .map((error) => error.message)
        .join("\n"),
    ).toContain("Sandbox.Timedout");
  });

  it("delivers a FIFO queue's messages in order per group, never two batches of a group at once", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "5" }, true);
    const seen = new Map<string, number[]>();
    const busy = new Set<string>();
    let overlapped = false;
    handlers.set(fn, async (event) => {
      const groups = new Set(event.Records.map((record) => record.attributes.MessageGroupId!));
      for (const group of groups) {
        if (busy.has(group)) overlapped = true;
        busy.add(group);
      }
      await sleep(20);
      for (const record of event.Records) {
        const group = record.attributes.MessageGroupId!;
        seen.set(group, [...(seen.get(group) ?? []), Number(record.body)]);
      }
      for (const group of groups) busy.delete(group);
    });
    register(fn);
    const bodies = Array.from({ length: 30 }, (_, i) => String(i));
    await sendAll(queue, bodies, (i) => ({ messageGroupId: `g${i % 3}`, messageDeduplicationId: `d${i}` }));
    await mappings.create({ queue, functionName: fn, batchSize: 4, maximumConcurrency: 5 });
    await runner.sync();
    await until(() => [...seen.values()].flat().length >= 30);
    for (let g = 0; g < 3; g++) {
      expect(seen.get(`g${g}`)).toEqual(bodies.map(Number).filter((n) => n % 3 === g));
    }
    expect(overlapped).toBe(false);
  });

  it("retries a FIFO group's failed message before the group's next ones", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "1" }, true);
    const attempts: string[] = [];
    handlers.set(fn, async (event) => {
      for (const record of event.Records) {
        attempts.push(record.body);
        if (record.body === "1" && record.attributes.ApproximateReceiveCount === "1")
          throw new Error("not yet");
      }
    });
    register(fn);
    await sendAll(queue, ["0", "1", "2"], (i) => ({ messageGroupId: "g", messageDeduplicationId: `d${i}` }));
    await mappings.create({ queue, functionName: fn, batchSize: 1 });
    await runner.sync();
    await until(() => attempts.length >= 4);
    expect(attempts).toEqual(["0", "1", "1", "2"]);
  });

  it("concurrency rises under a backlog, never above MaximumConcurrency, and falls back when idle", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "10" });
    let running = 0;
    let peak = 0;
    let handled = 0;
    handlers.set(fn, async (event) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(100);
      running -= 1;
      handled += event.Records.length;
    });
    register(fn);
    await sendAll(
      queue,
      Array.from({ length: 60 }, (_, i) => `m${i}`),
    );
    const mapping = await mappings.create({ queue, functionName: fn, batchSize: 2, maximumConcurrency: 3 });
    await runner.sync();
    let pollerPeak = 0;
    await until(() => {
      pollerPeak = Math.max(pollerPeak, runner.activePollers(mapping.uuid));
      return handled >= 60;
    });
    expect(peak).toBe(3);
    expect(pollerPeak).toBeLessThanOrEqual(3);
    await until(() => runner.activePollers(mapping.uuid) === 1, 5000);
  });

  it("MaximumConcurrency holds across processes running the same mapping", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "10" });
    let running = 0;
    let peak = 0;
    let handled = 0;
    const slow = async (event: SqsEvent) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(50);
      running -= 1;
      handled += event.Records.length;
    };
    handlers.set(fn, slow);
    register(fn);
    // A second process: its own registry and runner over the same database.
    const otherFunctions = createFunctions();
    otherFunctions.register(fn, slow, { timeoutSeconds: 1 });
    const other = createMappingRunner(
      store,
      queues,
      otherFunctions,
      createMappings(store, queues, otherFunctions),
      {
        region: "us-east-1",
        waitTimeSeconds: 1,
      },
    );
    await other.start();
    try {
      await sendAll(
        queue,
        Array.from({ length: 40 }, (_, i) => `m${i}`),
      );
      const mapping = await mappings.create({ queue, functionName: fn, batchSize: 1, maximumConcurrency: 2 });
      await Promise.all([runner.sync(), other.sync()]);
      await until(() => handled >= 40, 15_000);
      expect(peak).toBe(2);
      expect(runner.activePollers(mapping.uuid) + other.activePollers(mapping.uuid)).toBeGreaterThanOrEqual(
        2,
      );
    } finally {
      await other.close();
    }
  });

  it("a mapping is disabled and enabled at run time", async () => {
    const { queue, fn } = await fresh();
    const bodies: string[] = [];
    handlers.set(fn, async (event) => {
      bodies.push(...event.Records.map((record) => record.body));
    });
    register(fn);
    const mapping = await mappings.create({ queue, functionName: fn, enabled: false });
    expect(mapping.state).toBe("Disabled");
    await runner.sync();
    await sendAll(queue, ["while-off"]);
    await sleep(700);
    expect(bodies).toEqual([]);
    expect((await mappings.update(mapping.uuid, { enabled: true })).state).toBe("Enabled");
    await runner.sync();
    await until(() => bodies.length === 1);
    // From an operator's process, whose registry lacks the function.
    const elsewhere = createMappings(store, queues, createFunctions());
    expect((await elsewhere.update(mapping.uuid, { enabled: false })).state).toBe("Disabled");
    await runner.sync();
    expect(runner.activePollers(mapping.uuid)).toBe(0);
    await sendAll(queue, ["off-again"]);
    await sleep(700);
    expect(bodies).toEqual(["while-off"]);
    expect(await depth(queue)).toBe(1);
  });

  it("refuses settings Lambda refuses, naming the setting", async () => {
    const { queue, fn } = await fresh({ VisibilityTimeout: "2" });
    handlers.set(fn, async () => null);
    register(fn, 5);
    await expect(mappings.create({ queue, functionName: fn })).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: "Queue visibility timeout: 2 seconds is less than Function timeout: 5 seconds",
    });
    const other = await fresh();
    handlers.set(other.fn, async () => null);
    register(other.fn);
    const attempt = (settings: object) =>
      mappings.create({ queue: other.queue, functionName: other.fn, ...settings });
    await expect(attempt({ maximumConcurrency: 1 })).rejects.toThrow(/MaximumConcurrency 1 is out of range/);
    await expect(attempt({ batchSize: 11 })).rejects.toThrow(
      /greater than 0 if maximum batch size is greater than 10/,
    );
    await expect(attempt({ functionResponseTypes: ["Other"] })).rejects.toThrow(/FunctionResponseTypes/);
    await expect(attempt({ queue: "missing" })).rejects.toThrow(/queue missing does not exist/);
    await expect(attempt({ functionName: "nobody" })).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    const fifo = await fresh({}, true);
    await expect(
      mappings.create({
        queue: fifo.queue,
        functionName: other.fn,
        batchSize: 20,
        maximumBatchingWindowInSeconds: 1,
      }),
    ).rejects.toThrow(/BatchSize 20 is out of range: use 1 to 10 for a FIFO queue/);
    await attempt({ enabled: false });
    await expect(attempt({})).rejects.toMatchObject({ name: "ResourceConflictException" });
  });
});
