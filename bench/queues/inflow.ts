/**
 * Inflow through its in-process API (`createQueues(store)`), on SQLite or PostgreSQL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createQueues } from "../../src/queues/service.js";
import type { ReceivedMessage } from "../../src/queues/types.js";
import { openStore } from "../../src/store/open.js";
import { checkIdentifier, dropSchema, type QueueDriver, systemDatabaseUrl, vacuumSchema } from "./common.js";

const QUEUE = "bench";

export async function openInflow(
  backend: "sqlite" | "postgres",
  schema: string,
): Promise<QueueDriver<string>> {
  let dataDir: string | undefined;
  if (backend === "postgres") await dropSchema(checkIdentifier(schema));
  else dataDir = mkdtempSync(join(tmpdir(), "inflow-bench-"));
  const store = await openStore(
    backend === "postgres" ? { databaseUrl: systemDatabaseUrl(), schema } : { dataDir: dataDir! },
  );
  const queues = createQueues(store);
  await queues.createQueue(QUEUE);

  return {
    async send(batch) {
      const result = await queues.sendMessageBatch(
        QUEUE,
        batch.map((payload, index) => ({ id: String(index), body: JSON.stringify(payload) })),
      );
      if (result.failed.length > 0)
        throw new Error(`SendMessageBatch failed: ${JSON.stringify(result.failed)}`);
    },
    async receive() {
      const messages: ReceivedMessage[] = await queues.receiveMessage(QUEUE, {
        maxNumberOfMessages: 10,
        waitTimeSeconds: 0,
      });
      return messages.map((message) => message.receiptHandle);
    },
    async ack(handles) {
      const result = await queues.deleteMessageBatch(
        QUEUE,
        handles.map((receiptHandle, index) => ({ id: String(index), receiptHandle })),
      );
      if (result.failed.length > 0)
        throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(result.failed)}`);
    },
    async remaining() {
      const [row] = await store.query<{ n: number }>("SELECT COUNT(*) AS n FROM messages");
      return Number(row?.n ?? 0);
    },
    async housekeeping() {
      if (backend === "postgres") await vacuumSchema(schema);
    },
    async close() {
      await queues.close();
      await store.close();
      if (backend === "postgres") await dropSchema(schema);
      else rmSync(dataDir!, { recursive: true, force: true });
    },
  };
}
