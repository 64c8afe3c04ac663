import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Functions } from "../../src/functions/registry.js";
import { createQueues } from "../../src/queues/service.js";
import { buildServer } from "../../src/server/app.js";
import { createStates } from "../../src/states/engine.js";
import type { Dialect } from "../../src/store/types.js";
import { createTestDatabase } from "./backends.js";
import { clientDefaults, listenOnFreePort } from "./listen.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** A running Inflow as `inflow serve` assembles it (queues, workflows with workers, functions), for the CLI to operate. */
export interface Instance {
  /** `http://127.0.0.1:<port>` */
  url: string;
  sqs: SQSClient;
  sfn: SFNClient;
  lambda: LambdaClient;
  close(): Promise<void>;
}

/** Without `functions` the instance serves no Lambda API, as a server built without a registry. */
export async function startInstance(dialect: Dialect, functions?: Functions): Promise<Instance> {
  const database = createTestDatabase(dialect);
  const store = await database.open();
  const queues = createQueues(store);
  queues.startBackground();
  const states = createStates(store, queues, functions ? { invoke: functions.invoker() } : {});
  await states.startWorkers();
  const app = await buildServer({ queues, states, functions });
  const url = await listenOnFreePort(app);
  const sqs = new SQSClient(clientDefaults(url));
  const sfn = new SFNClient(clientDefaults(url));
  const lambda = new LambdaClient(clientDefaults(url));
  return {
    url,
    sqs,
    sfn,
    lambda,
    close: async () => {
      for (const client of [sqs, sfn, lambda]) client.destroy();
      await app.close();
      await states.close();
      await queues.close();
      await store.close();
      await database.drop();
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON (for `--json` runs). */
  json<T = unknown>(): T;
}

/** Runs `inflow ARGS` to completion as a child process (TypeScript through tsx). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: root,
    // No INFLOW_ENDPOINT from the developer's shell: each test names its endpoint.
    env: { ...process.env, INFLOW_ENDPOINT: undefined, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T }));
  });
}
