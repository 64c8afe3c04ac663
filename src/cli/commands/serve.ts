import { type Command, InvalidArgumentError, Option } from "commander";
import { applyResources, describeApplied, registerFunctions } from "../../config/apply.js";
import { ResourceFileError } from "../../config/errors.js";
import { loadResourceFile } from "../../config/load.js";
import { createFunctions, type Functions } from "../../functions/registry.js";
import { createFunctionRuntime, isFunctionFailure } from "../../functions/runtime.js";
import { createQueues } from "../../queues/service.js";
import { buildServer, DEFAULT_HOST, DEFAULT_PORT } from "../../server/app.js";
import { createStates } from "../../states/engine.js";
import { DEFAULT_DATA_DIR, openStore } from "../../store/open.js";
import { CliError } from "../errors.js";
import { nextShutdownSignal } from "../signals.js";

export interface ServeOptions {
  data: string;
  database?: string;
  host: string;
  port: number;
  publicUrl?: string;
  /** A resource file (inflow.yaml) whose resources are created or updated at start. */
  config?: string;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "Run Inflow in one process: the AWS endpoints (SQS, Step Functions), the workflow workers and the queues' background work.",
    )
    .option("--data <dir>", "SQLite data directory", DEFAULT_DATA_DIR)
    .addOption(
      new Option(
        "--database <url>",
        "PostgreSQL URL instead of SQLite (postgres://...; ?schema=NAME)",
      ).conflicts("data"),
    )
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .option("--port <port>", "port to listen on (0: any free port)", parsePort, DEFAULT_PORT)
    .option(
      "--public-url <url>",
      "base of the queue URLs handed out (default: the host each caller used)",
      parseUrl,
    )
    .option("--config <file>", "resource file (inflow.yaml) to create or update resources from at start")
    .action(serve);
}

export interface RunningServer {
  /** Where it listens, `http://HOST:PORT`. */
  address: string;
  /** Where the data lives, without credentials. */
  location: string;
  /** What the resource file declared, as one line, when there was one. */
  resources?: string;
  /** Stops taking requests, then the workers, then closes the database. */
  close(): Promise<void>;
}

/**
 * Starts everything `inflow serve` runs and returns once it listens. `functions` are the
 * handlers Lambda Task states call, for programs that embed Inflow; the command itself starts
 * with an empty registry, so such a task fails with Lambda.ResourceNotFoundException.
 */
export async function startServer(
  options: ServeOptions,
  functions: Functions = createFunctions(),
): Promise<RunningServer> {
  // The file is read and its functions loaded before anything opens, so a mistake costs nothing.
  const resourceFile = options.config ? await loadResourceFile(options.config) : undefined;
  if (resourceFile) await registerFunctions(resourceFile, functions);
  const store = await openStore(
    options.database ? { databaseUrl: options.database } : { dataDir: options.data },
  );
  const queues = createQueues(store);
  queues.startBackground();
  // Worker failures are logged where the server logs; the server is built once the engine exists.
  const onError = (error: unknown) => app.log.error(error);
  const states = createStates(store, queues, { onError, invoke: functions.invoker() });
  const app = await buildServer({
    queues,
    states,
    functions,
    publicUrl: options.publicUrl,
    logger: { level: "warn" },
  });
  const runtime = createFunctionRuntime(store, queues, states, functions, {
    onError: (error) => (isFunctionFailure(error) ? app.log.warn(error.message) : onError(error)),
  });
  let resources: string | undefined;
  if (resourceFile) {
    const applied = await applyResources(resourceFile, { queues, states, runtime }).catch(async (error) => {
      await app.close();
      await queues.close();
      await store.close();
      throw error;
    });
    resources = describeApplied(resourceFile, applied);
  }
  await states.startWorkers();
  await runtime.start();
  // Callers first, then the workers that would still write, then what they write to.
  const close = async () => {
    await app.close();
    await runtime.close();
    await states.close();
    await queues.close();
    await store.close();
  };

  try {
    const address = await app.listen({ host: options.host, port: options.port });
    return { address, location: store.location, ...(resources ? { resources } : {}), close };
  } catch (error) {
    await close();
    throw listenError(error, options.host, options.port);
  }
}

async function serve(options: ServeOptions): Promise<void> {
  const server = await startServer(options).catch((error) => {
    throw error instanceof ResourceFileError ? new CliError(error.message) : error;
  });
  // `location` never carries a password.
  process.stdout.write(`Inflow listening on ${server.address} (data: ${server.location})\n`);
  if (server.resources) process.stdout.write(`${server.resources}\n`);
  const signal = await nextShutdownSignal();
  process.stdout.write(`Received ${signal}, shutting down\n`);
  await server.close();
}

function listenError(error: unknown, host: string, port: number): Error {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return new CliError(`Port ${port} on ${host} is already in use; choose another with --port.`);
    case "EACCES":
      return new CliError(`Not allowed to listen on ${host}:${port}; choose a port above 1023 with --port.`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new CliError(`Cannot listen on ${host}: it is not an address of this machine.`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError("expected a port number, 0 to 65535.");
  return port;
}

function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError("expected an http(s) URL such as http://queues.example.com:4566.");
}
