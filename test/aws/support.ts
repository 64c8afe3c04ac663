import { SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import type { FastifyInstance } from "fastify";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { buildServer } from "../../src/server/app.js";
import type { Dialect, Store } from "../../src/store/types.js";
import { createTestDatabase } from "../support/backends.js";
import { clientDefaults, listenOnFreePort } from "../support/listen.js";

export const ACCOUNT = "000000000000";

export interface SqsServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  client: SQSClient;
  queues: Queues;
  app: FastifyInstance;
  /** Moves the queues' clock forward, so visibility timeouts and 60-second rules pass at once. */
  advance(seconds: number): void;
  /** Another client against the same server (different config). */
  newClient(config?: SQSClientConfig): SQSClient;
  close(): Promise<void>;
}

/** A real server on a free port over a fresh database of `dialect`, with an SDK client for it. */
export async function startSqsServer(
  dialect: Dialect,
  options: { publicUrl?: string } = {},
): Promise<SqsServer> {
  const database = createTestDatabase(dialect);
  const store: Store = await database.open();
  let offset = 0;
  const queues = createQueues(store, { now: () => Date.now() + offset });
  queues.startBackground();
  const app = await buildServer({ queues, publicUrl: options.publicUrl });
  const url = await listenOnFreePort(app);
  const clients: SQSClient[] = [];
  const newClient = (config: SQSClientConfig = {}) => {
    const client = new SQSClient({ ...clientDefaults(url), ...config });
    clients.push(client);
    return client;
  };
  return {
    url,
    client: newClient(),
    queues,
    app,
    advance: (seconds) => {
      offset += seconds * 1000;
    },
    newClient,
    close: async () => {
      for (const client of clients) client.destroy();
      await app.close();
      await queues.close();
      await store.close();
      await database.drop();
    },
  };
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

/** A raw AWS JSON call, for what the SDK will not send. */
export async function rawCall(
  url: string,
  target: string | undefined,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      ...(target === undefined ? {} : { "x-amz-target": target }),
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}
