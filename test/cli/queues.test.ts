import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { type Instance, runCli, startInstance } from "../support/instance.js";

const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

// The commands speak the SQS API, which the SQS suites check on both backends: one is enough here.
// Each CLI run is a Node.js process starting through tsx: seconds apiece on a busy machine.
describe("inflow queues against a running instance", { timeout: 60_000 }, () => {
  let instance: Instance;
  let endpoint: string[];

  beforeAll(async () => {
    instance = await startInstance("sqlite", createFunctions());
    endpoint = ["--endpoint", instance.url];
    const { sqs } = instance;
    const create = async (QueueName: string, Attributes?: Record<string, string>) =>
      (await sqs.send(new CreateQueueCommand({ QueueName, Attributes }))).QueueUrl!;

    // orders: 2 visible, 1 in flight, 1 delayed, an empty DLQ.
    await create("orders-dlq");
    const orders = await create("orders", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf("orders-dlq"), maxReceiveCount: 5 }),
    });
    for (const body of ["first", "second", "third"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: orders, MessageBody: body }));
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: orders, MessageBody: "later", DelaySeconds: 60 }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: orders, VisibilityTimeout: 60 }));

    // invoices: both messages dead-lettered after one receive.
    await create("invoices-dlq");
    const invoices = await create("invoices", {
      VisibilityTimeout: "0",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf("invoices-dlq"), maxReceiveCount: 1 }),
    });
    for (const body of ['{"invoice":"INV-1"}', '{"invoice":"INV-2"}']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: invoices, MessageBody: body }));
    }
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: invoices, MaxNumberOfMessages: 10 }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: invoices, MaxNumberOfMessages: 10 }));
  });
  afterAll(async () => {
    await instance?.close();
  });

  it("ls prints a table of depths and dead-letter queues", async () => {
    const run = await runCli(["queues", "ls", ...endpoint]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+VISIBLE\s+IN FLIGHT\s+DELAYED\s+DLQ\s+DLQ DEPTH$/);
    expect(lines).toContainEqual(expect.stringMatching(/^orders\s+2\s+1\s+1\s+orders-dlq\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^invoices\s+0\s+0\s+0\s+invoices-dlq\s+2$/));
    expect(lines).toContainEqual(expect.stringMatching(/^invoices-dlq\s+2\s+0\s+0\s+-\s+-$/));
  });

  it("ls --json gives scripts the same facts", async () => {
    const run = await runCli(["queues", "ls", "--json", "--prefix", "orders", ...endpoint]);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual([
      {
        name: "orders",
        url: `${instance.url}/000000000000/orders`,
        arn: arnOf("orders"),
        fifo: false,
        visible: 2,
        inFlight: 1,
        delayed: 1,
        deadLetterQueue: { name: "orders-dlq", arn: arnOf("orders-dlq"), visible: 0, maxReceiveCount: 5 },
      },
      {
        name: "orders-dlq",
        url: `${instance.url}/000000000000/orders-dlq`,
        arn: arnOf("orders-dlq"),
        fifo: false,
        visible: 0,
        inFlight: 0,
        delayed: 0,
        deadLetterQueue: null,
      },
    ]);
  });

  it("peek shows messages and leaves them in the queue", async () => {
    const first = await runCli(["queues", "peek", "invoices-dlq", "--json", ...endpoint]);
    expect(first.code).toBe(0);
    const messages = first.json<Array<{ body: string; receiveCount: number; messageId: string }>>();
    expect(messages.map((m) => m.body).sort()).toEqual(['{"invoice":"INV-1"}', '{"invoice":"INV-2"}']);

    const table = await runCli(["queues", "peek", "invoices-dlq", "-n", "5", ...endpoint]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^MESSAGE ID\s+SENT\s+RECEIVES\s+BODY$/);
    expect(lines).toHaveLength(3);
    for (const message of messages) {
      // The first peek counted as a receive.
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${message.messageId}\\s+\\d{4}-\\d\\d-\\d\\d \\S+\\s+${message.receiveCount + 1}\\s+{"invoice"`,
          ),
        ),
      );
    }
    const { Attributes } = await instance.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: `${instance.url}/000000000000/invoices-dlq`,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe("2");
  });

  it("peek -n caps how many messages it shows", async () => {
    const run = await runCli(["queues", "peek", "orders", "-n", "1", "--json", ...endpoint]);
    expect(run.code).toBe(0);
    expect(run.json()).toHaveLength(1);
  });

  it("redrive moves a dead-letter queue's messages back to their source", async () => {
    const run = await runCli(["queues", "redrive", "invoices-dlq", ...endpoint]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Mov(ed|ing about) 2 messages from invoices-dlq to their source queues/);

    const deadline = Date.now() + 10_000;
    let depth = "0";
    while (depth !== "2" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { Attributes } = await instance.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: `${instance.url}/000000000000/invoices`,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      depth = Attributes?.ApproximateNumberOfMessages ?? "0";
    }
    expect(depth).toBe("2");
  });

  it("redrive --json names the task; a queue without dead letters is the service's error", async () => {
    const run = await runCli(["queues", "redrive", "orders-dlq", "--json", ...endpoint]);
    // orders-dlq is a dead-letter queue (orders names it) with nothing in it: SQS still starts a task.
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ sourceArn: arnOf("orders-dlq"), destinationArn: null });

    const notDlq = await runCli(["queues", "redrive", "orders", ...endpoint]);
    expect(notDlq.code).toBe(1);
    expect(notDlq.stderr).toMatch(/^inflow: \w+: .+/);
    expect(notDlq.stderr).not.toMatch(/\n\s+at /);
  });

  it("an unknown queue is the SQS error's message, exit 1", async () => {
    const run = await runCli(["queues", "peek", "no-such-queue", ...endpoint]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^inflow: QueueDoesNotExist: .*queue/i);
  });

  it("an unreachable endpoint names the URL and how to start Inflow (INFLOW_ENDPOINT too)", async () => {
    const run = await runCli(["queues", "ls"], { INFLOW_ENDPOINT: "http://127.0.0.1:9" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Cannot reach Inflow at http://127.0.0.1:9");
    expect(run.stderr).toContain("inflow serve");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a bad endpoint and a bad count before calling anything", async () => {
    const url = await runCli(["queues", "ls", "--endpoint", "localhost:4566"]);
    expect(url.code).toBe(1);
    expect(url.stderr).toContain("expected a base URL");
    const count = await runCli(["queues", "peek", "orders", "-n", "1000", ...endpoint]);
    expect(count.code).toBe(1);
    expect(count.stderr).toContain("expected 1 to 100");
  });
});
