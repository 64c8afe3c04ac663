import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqsServer, startSqsServer } from "../aws/support.js";
import { BACKENDS } from "../support/backends.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)("the HTTP server on %s", (dialect) => {
  let server: SqsServer;

  beforeAll(async () => {
    server = await startSqsServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers GET /health", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("ends a long poll when its client goes away, so it takes no message afterwards", async () => {
    const { QueueUrl } = await server.client.send(new CreateQueueCommand({ QueueName: "abandoned" }));
    const hangUp = new AbortController();
    const polling = fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ReceiveMessage" },
      body: JSON.stringify({ QueueUrl, WaitTimeSeconds: 20 }),
      signal: hangUp.signal,
    }).catch((error: Error) => error);
    await sleep(200);
    hangUp.abort();
    expect(await polling).toBeInstanceOf(Error);
    await sleep(200);

    // A poll still waiting server-side would grab this message and hide it for 30 s.
    await server.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "for the next caller" }));
    const { Messages } = await server.client.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(Messages?.map((message) => message.Body)).toEqual(["for the next caller"]);
  });
});

describe.each(BACKENDS)("shutting the HTTP server down on %s", (dialect) => {
  it("ends pending long polls at once with no messages", async () => {
    const server = await startSqsServer(dialect);
    try {
      const { QueueUrl } = await server.client.send(new CreateQueueCommand({ QueueName: "closing" }));
      const polling = server.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
      await sleep(200);
      const started = Date.now();
      await server.app.close();
      const result = await polling;
      expect(result.Messages).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await server.close();
    }
  });
});
