import { type Command, InvalidArgumentError, Option } from "commander";
import { applyResources, describeApplied, registerFunctions } from "../../config/apply.js";
import { ResourceFileError } from "../../config/errors.js";
import { loadResourceFile } from "../../config/load.js";
import { createFunctions, type Functions } from "../../functions/registry.js";
import { createFunctionRuntime, isFunctionFailure } from "../../functions/runtime.js";
import { createQueues } from "../../queues/service.js";
import { createStates } from "../../states/engine.js";
import { DEFAULT_DATA_DIR, openStore } from "../../store/open.js";
import { CliError } from "../errors.js";
import { nextShutdownSignal } from "../signals.js";

export interface WorkerOptions {
  data: string;
  database?: string;
  concurrency: number;
  /** A resource file (inflow.yaml) whose resources are created or updated at start. */
  config?: string;
}

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description(
      "Run only the workers: workflow steps and the queues' background work, no HTTP. Start any number against one PostgreSQL database.",
    )
    .option("--data <dir>", "SQLite data directory", DEFAULT_DATA_DIR)
    .addOption(
      new Option(
        "--database <url>",
        "PostgreSQL URL instead of SQLite (postgres://...; ?schema=NAME)",
      ).conflicts("data"),
    )
    .option("--concurrency <n>", "workflow steps taken in parallel by this process", parseConcurrency, 2)
    .option("--config <file>", "resource file (inflow.yaml) to create or update resources from at start")
    .action(work);
}

export interface RunningWorker {
  /** Where the data lives, without credentials. */
  location: string;
  /** What the resource file declared, as one line, when there was one. */
  resources?: string;
  /** Stops the workers, then closes the database. */
  close(): Promise<void>;
}

/**
 * Starts what `inflow worker` runs. `functions` are the handlers Lambda Task states call, for
 * programs that embed Inflow; every worker process that takes steps needs the same functions.
 */
export async function startWorker(
  options: WorkerOptions,
  functions: Functions = createFunctions(),
): Promise<RunningWorker> {
  const resourceFile = options.config ? await loadResourceFile(options.config) : undefined;
  if (resourceFile) await registerFunctions(resourceFile, functions);
  const store = await openStore(
    options.database ? { databaseUrl: options.database } : { dataDir: options.data },
  );
  const queues = createQueues(store);
  queues.startBackground();
  const onError = (error: unknown) =>
    process.stderr.write(`worker: ${(error as Error)?.stack ?? String(error)}\n`);
  const states = createStates(store, queues, {
    concurrency: options.concurrency,
    invoke: functions.invoker(),
    onError,
  });
  const runtime = createFunctionRuntime(store, queues, states, functions, {
    onError: (error) =>
      isFunctionFailure(error) ? process.stderr.write(`worker: ${error.message}\n`) : onError(error),
  });
  let resources: string | undefined;
  if (resourceFile) {
    const applied = await applyResources(resourceFile, { queues, states, runtime }).catch(async (error) => {
      await queues.close();
      await store.close();
      throw error;
    });
    resources = describeApplied(resourceFile, applied);
  }
  await states.startWorkers();
  await runtime.start();
  return {
    location: store.location,
    ...(resources ? { resources } : {}),
    close: async () => {
      await runtime.close();
      await states.close();
      await queues.close();
      await store.close();
    },
  };
}

async function work(options: WorkerOptions): Promise<void> {
  const worker = await startWorker(options).catch((error) => {
    throw error instanceof ResourceFileError ? new CliError(error.message) : error;
  });
  process.stdout.write(`Inflow worker running (data: ${worker.location})\n`);
  if (worker.resources) process.stdout.write(`${worker.resources}\n`);
  const signal = await nextShutdownSignal();
  process.stdout.write(`Received ${signal}, shutting down\n`);
  await worker.close();
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64)
    throw new InvalidArgumentError("expected a number from 1 to 64.");
  return n;
}
