import { type Command, InvalidArgumentError } from "commander";
import { ResourceFileError } from "../../config/errors.js";
import { createFunctions, type Functions } from "../../functions/registry.js";
import type { PipelineSettings } from "../../pipeline/settings.js";
import { DEFAULT_HOST, DEFAULT_PORT } from "../../server/app.js";
import { CliError } from "../errors.js";
import { DEFAULT_STEP_CONCURRENCY, openInstance } from "../instance.js";
import { wholeNumber } from "../number-arguments.js";
import { nextShutdownSignal } from "../signals.js";
import { withMasterKeyOption, withStorageOptions } from "../storage-options.js";

const DEFAULT_API = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

export interface WorkerOptions {
  data: string;
  database?: string;
  /** The key sources' secrets are sealed under, for the sources this worker polls on schedule. */
  masterKeyFile?: string;
  concurrency?: number;
  /** The `inflow serve` whose containers and invoices services the pipeline's functions call; default the local one. */
  api?: string;
  /** A resource file (inflow.yaml) whose resources are created or updated at start. */
  config?: string;
  /** The pipeline's tuning (tests shorten its timeouts). */
  pipeline?: Partial<PipelineSettings>;
}

export function registerWorker(program: Command): void {
  withMasterKeyOption(withStorageOptions(program.command("worker")))
    .description(
      "Run only the workers: workflow steps, the digitize pipeline's functions and the queues' background work, no HTTP. Start any number against one PostgreSQL database.",
    )
    .option(
      "--api <url>",
      "the `inflow serve` whose /v1 services the pipeline's functions call",
      parseApiUrl,
      DEFAULT_API,
    )
    .option(
      "--concurrency <n>",
      "workflow steps taken in parallel by this process",
      wholeNumber("a number", 1, 64),
      DEFAULT_STEP_CONCURRENCY,
    )
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
 * Starts what `inflow worker` runs. `functions` are more handlers for Lambda Task states, for
 * programs that embed Inflow; every worker process that takes steps needs the same functions.
 */
export async function startWorker(
  options: WorkerOptions,
  functions: Functions = createFunctions(),
): Promise<RunningWorker> {
  const report = (line: string) => process.stderr.write(`worker: ${line}\n`);
  const instance = await openInstance(
    {
      ...options,
      onError: (error) => report((error as Error)?.stack ?? String(error)),
      onFunctionFailure: report,
    },
    functions,
  );
  try {
    const resources = await instance.install(options.api ?? DEFAULT_API);
    await instance.startWorkers();
    return { location: instance.store.location, ...(resources ? { resources } : {}), close: instance.close };
  } catch (error) {
    await instance.close();
    throw error;
  }
}

async function work(options: WorkerOptions): Promise<void> {
  const worker = await startWorker(options).catch((error) => {
    throw error instanceof ResourceFileError ? new CliError(error.message) : error;
  });
  // Listening for the signal before saying so: a supervisor that stops the process as soon as it
  // reads the line must find the graceful shutdown in place, not the default of dying at once.
  const shutdown = nextShutdownSignal();
  process.stdout.write(`Inflow worker running (data: ${worker.location})\n`);
  if (worker.resources) process.stdout.write(`${worker.resources}\n`);
  const signal = await shutdown;
  process.stdout.write(`Received ${signal}, shutting down\n`);
  await worker.close();
}

function parseApiUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError(
    "expected the http(s) URL of an `inflow serve`, such as http://10.0.0.5:4566.",
  );
}
