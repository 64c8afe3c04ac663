import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  type SFNClientConfig,
} from "@aws-sdk/client-sfn";
import type { FastifyInstance } from "fastify";
import { createQueues } from "../../src/queues/service.js";
import { buildServer } from "../../src/server/app.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Dialect, Store } from "../../src/store/types.js";
import { createTestDatabase } from "../support/backends.js";
import { clientDefaults, listenOnFreePort } from "../support/listen.js";

export const ROLE_ARN = "arn:aws:iam::000000000000:role/inflow-test";

export interface SfnServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  client: SFNClient;
  states: States;
  app: FastifyInstance;
  /** Errors the server and the workers logged: bugs, which a test run should end without. */
  loggedErrors: string[];
  /** Another client against the same server (different config). */
  newClient(config?: SFNClientConfig): SFNClient;
  close(): Promise<void>;
}

/** A real server with the workflow engine and its workers on a fresh database of `dialect`. */
export async function startSfnServer(dialect: Dialect): Promise<SfnServer> {
  const database = createTestDatabase(dialect);
  const store: Store = await database.open();
  const queues = createQueues(store);
  queues.startBackground();
  const loggedErrors: string[] = [];
  const states = createStates(store, queues, {
    onError: (error) =>
      loggedErrors.push(error instanceof Error ? (error.stack ?? String(error)) : String(error)),
  });
  await states.startWorkers();
  const app = await buildServer({
    queues,
    states,
    logger: { level: "error", stream: { write: (line: string) => loggedErrors.push(line) } },
  });
  const url = await listenOnFreePort(app);
  const clients: SFNClient[] = [];
  const newClient = (config: SFNClientConfig = {}) => {
    const client = new SFNClient({ ...clientDefaults(url), ...config });
    clients.push(client);
    return client;
  };
  return {
    url,
    client: newClient(),
    states,
    app,
    loggedErrors,
    newClient,
    close: async () => {
      for (const client of clients) client.destroy();
      await app.close();
      await states.close();
      await queues.close();
      await store.close();
      await database.drop();
    },
  };
}

/** Polls DescribeExecution until the execution leaves RUNNING (or `timeoutMillis` passes). */
export async function settled(
  client: SFNClient,
  executionArn: string,
  timeoutMillis = 10_000,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== "RUNNING" || Date.now() > deadline) return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A definition as the JSON text the API takes. */
export const asl = (definition: object) => JSON.stringify(definition);

export const PASS_MACHINE = asl({
  StartAt: "Hello",
  States: { Hello: { Type: "Pass", Result: { hello: "world" }, End: true } },
});

/** Pass -> Wait 1 s -> Succeed. */
export const PASS_WAIT_SUCCEED = asl({
  StartAt: "Prepare",
  States: {
    Prepare: { Type: "Pass", Next: "Pause" },
    Pause: { Type: "Wait", Seconds: 1, Next: "Done" },
    Done: { Type: "Succeed" },
  },
});

/** A Wait long enough that only StopExecution ends it. */
export const LONG_WAIT = asl({
  StartAt: "Pause",
  States: { Pause: { Type: "Wait", Seconds: 3600, End: true } },
});
