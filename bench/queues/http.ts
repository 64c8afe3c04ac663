/**
 * Inflow through its HTTP API: the SQS AWS JSON protocol served by `inflow serve` in a process
 * of its own, driven by the official @aws-sdk/client-sqs (SendMessageBatch, ReceiveMessage,
 * DeleteMessageBatch), on SQLite or PostgreSQL.
 *
 * The server is `node --import tsx src/cli/main.ts serve --port P (--data DIR | --database URL)`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { checkIdentifier, dropSchema, type QueueDriver, systemDatabaseUrl, vacuumSchema } from "./common.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");

export interface HttpServerInfo {
  via: "cli";
  command: string;
}

export async function openHttp(
  backend: "sqlite" | "postgres",
  schema: string,
): Promise<QueueDriver<string> & { server: HttpServerInfo }> {
  let dataDir: string | undefined;
  let storeArgs: string[];
  if (backend === "postgres") {
    await dropSchema(checkIdentifier(schema));
    const url = new URL(systemDatabaseUrl());
    url.searchParams.set("schema", schema);
    storeArgs = ["--database", url.toString()];
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "inflow-bench-http-"));
    storeArgs = ["--data", dataDir];
  }
  const server = await startServer(storeArgs);
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const client = new SQSClient({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${server.port}`,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    requestHandler: { httpAgent: agent },
  });
  const { QueueUrl: queueUrl } = await client.send(new CreateQueueCommand({ QueueName: "bench" }));
  if (!queueUrl) throw new Error("CreateQueue answered without a QueueUrl");

  return {
    server: server.info,
    ...(server.pid !== undefined ? { serverPid: server.pid } : {}),
    async send(batch) {
      const result = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((payload, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(payload),
          })),
        }),
      );
      if (result.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(result.Failed)}`);
    },
    async receive() {
      const result = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      return (result.Messages ?? []).map((message) => message.ReceiptHandle!);
    },
    async ack(handles) {
      const result = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: handles.map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle })),
        }),
      );
      if (result.Failed?.length)
        throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(result.Failed)}`);
    },
    async remaining() {
      const { Attributes: attributes = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
      );
      return Object.values(attributes).reduce((sum, value) => sum + Number(value), 0);
    },
    async housekeeping() {
      if (backend === "postgres") await vacuumSchema(schema);
    },
    async close() {
      client.destroy();
      agent.destroy();
      await server.stop();
      if (backend === "postgres") await dropSchema(schema);
      else rmSync(dataDir!, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(storeArgs: string[]) {
  const port = await freePort();
  if (!existsSync(CLI))
    throw new Error(`The HTTP benchmark runs \`inflow serve\` from ${CLI}, which is missing.`);
  const args = ["--import", "tsx", CLI, "serve", "--host", "127.0.0.1", "--port", String(port), ...storeArgs];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env },
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const info: HttpServerInfo = {
    via: "cli",
    command: `node ${args.map((arg) => arg.replace(ROOT, "")).join(" ")}`,
  };
  try {
    await waitForHealth(child, port, () => stderr);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    port,
    info,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForHealth(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The server exited (${child.exitCode ?? child.signalCode}) before serving:\n${stderr()}`,
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The server did not answer /health on port ${port} within 30 s:\n${stderr()}`);
}
