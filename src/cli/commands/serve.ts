import { type Command, InvalidArgumentError } from "commander";
import { ResourceFileError } from "../../config/errors.js";
import { createFunctions, type Functions } from "../../functions/registry.js";
import type { SecretReader } from "../../ingest/secrets.js";
import { type SmtpListener, startSmtpListener } from "../../ingest/smtp.js";
import type { PipelineStarter } from "../../invoices/starter.js";
import { DEFAULT_MAX_FILE_BYTES } from "../../invoices/types.js";
import { describeFailure } from "../../pipeline/failure.js";
import type { PipelineSettings } from "../../pipeline/settings.js";
import { buildServer, DEFAULT_HOST, DEFAULT_PORT } from "../../server/app.js";
import { executionReaderOf } from "../../server/v1/executions.js";
import type { Store } from "../../store/types.js";
import { seedDemo } from "../demo.js";
import { CliError } from "../errors.js";
import { openInstance, selfUrl } from "../instance.js";
import { parseListenPort } from "../number-arguments.js";
import { nextShutdownSignal } from "../signals.js";
import { withMasterKeyOption, withStorageOptions } from "../storage-options.js";

export interface ServeOptions {
  data: string;
  database?: string;
  /** The key sources' secrets are sealed under (else INFLOW_MASTER_KEY, or master.key in the data directory). */
  masterKeyFile?: string;
  host: string;
  port: number;
  publicUrl?: string;
  /** A resource file (inflow.yaml) whose resources are created or updated at start. */
  config?: string;
  /** False: serve the APIs only, and leave the work to `inflow worker` processes. */
  workers?: boolean;
  /** Seed demo containers, and keep a trickle of new ones coming. */
  demo?: boolean;
  /** False: no scheduled source polls (for one-shot commands that run a server in process). */
  scheduleSources?: boolean;
  /** The pipeline's tuning (tests shorten its timeouts). */
  pipeline?: Partial<PipelineSettings>;
  /** Listen for email sources' mail on this port (0: any free one); none: no SMTP listener. */
  smtpPort?: number;
  /** Where the SMTP listener listens; default 127.0.0.1. */
  smtpHost?: string;
}

export function registerServe(program: Command): void {
  withMasterKeyOption(withStorageOptions(program.command("serve")))
    .description(
      "Run Inflow in one process: the containers and invoices API (/v1), the AWS endpoints (SQS, Step Functions, Lambda), the digitize pipeline's workers and the queues' background work.",
    )
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .option("--port <port>", "port to listen on (0: any free port)", parseListenPort, DEFAULT_PORT)
    .option(
      "--public-url <url>",
      "base of the queue URLs handed out (default: the host each caller used)",
      parseUrl,
    )
    .option("--config <file>", "resource file (inflow.yaml) to create or update resources from at start")
    .option("--no-workers", "serve the APIs only; `inflow worker --api URL` processes do the work")
    .option("--demo", "seed demo containers from generated supplier files, and keep new ones coming")
    .option(
      "--smtp-port <port>",
      "take mail for email sources on this port (e.g. 2525; 25 needs privileges)",
      parseListenPort,
    )
    .option("--smtp-host <host>", "address the SMTP listener listens on", DEFAULT_HOST)
    .action(serve);
}

export interface RunningServer {
  /** Where it listens, `http://HOST:PORT`. */
  address: string;
  /** Where the data lives, without credentials. */
  location: string;
  /** What the resource file declared, as one line, when there was one. */
  resources?: string;
  /** The database, for commands that follow the containers they start (digitize). */
  store: Store;
  /** Starts containers through the pipeline in this process, as `POST /v1/files` does. */
  pipeline: PipelineStarter;
  /** Reads sources' secrets under this process's master key (loaded on first need). */
  readSecret: SecretReader;
  /** Where the SMTP listener takes email sources' mail, `HOST:PORT`, when it runs. */
  smtp?: string;
  /** Stops taking requests, then the workers, then closes the database. */
  close(): Promise<void>;
}

/**
 * Starts everything `inflow serve` runs and returns once it listens and the pipeline is installed.
 * `functions` are more handlers for Lambda Task states, for programs that embed Inflow.
 */
export async function startServer(
  options: ServeOptions,
  functions: Functions = createFunctions(),
): Promise<RunningServer> {
  const instance = await openInstance(
    {
      ...options,
      // Worker failures are logged where the server logs; the server is built once the parts exist.
      onError: (error) => app.log.error(error),
      onFunctionFailure: (message) => app.log.warn(message),
    },
    functions,
  );
  const { store, queues, states, pipeline } = instance;
  const app = await buildServer({
    queues,
    states,
    functions,
    // A failed CreateInvoices Map is reported by the iteration that failed it (describeFailure).
    v1: {
      store,
      states: { executions: { describe: describeFailure(states) } },
      pipeline,
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
      readSecret: instance.readSecret,
      executions: executionReaderOf(states),
      operations: { queues, states },
    },
    publicUrl: options.publicUrl,
    logger: { level: "warn" },
  });
  let stopDemo: (() => Promise<void>) | undefined;
  let smtp: SmtpListener | undefined;
  // Callers first, then the workers that would still write, then what they write to.
  const close = async () => {
    await smtp?.close();
    await stopDemo?.();
    await app.close();
    await instance.close();
  };

  let address: string;
  try {
    address = await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await close();
    throw listenError(error, options.host, options.port);
  }
  try {
    // The pipeline's functions call this server's own /v1, so it is installed once the address is known.
    const resources = await instance.install(selfUrl(address));
    if (options.workers !== false) await instance.startWorkers();
    if (options.demo) stopDemo = await seedDemo(store, pipeline);
    if (options.smtpPort !== undefined) {
      smtp = await startSmtpListener(
        { store, pipeline },
        {
          host: options.smtpHost ?? DEFAULT_HOST,
          port: options.smtpPort,
          onError: (error) => app.log.error(error),
        },
      ).catch((error) => {
        throw listenError(error, options.smtpHost ?? DEFAULT_HOST, options.smtpPort!, "--smtp-port");
      });
    }
    return {
      address,
      location: store.location,
      ...(resources ? { resources } : {}),
      store,
      pipeline,
      readSecret: instance.readSecret,
      ...(smtp ? { smtp: smtp.address } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function serve(options: ServeOptions): Promise<void> {
  const server = await startServer(options).catch((error) => {
    throw error instanceof ResourceFileError ? new CliError(error.message) : error;
  });
  // Listening for the signal before saying so: a supervisor that stops the process as soon as it
  // reads the line must find the graceful shutdown in place, not the default of dying at once.
  const shutdown = nextShutdownSignal();
  // `location` never carries a password.
  process.stdout.write(`Inflow listening on ${server.address} (data: ${server.location})\n`);
  process.stdout.write(
    `  API: ${server.address}/v1/containers (OpenAPI: ${server.address}/v1/openapi.json); AWS endpoints: ${server.address}\n`,
  );
  if (server.smtp) process.stdout.write(`  SMTP: ${server.smtp} takes mail for the email sources\n`);
  if (server.resources) process.stdout.write(`${server.resources}\n`);
  const signal = await shutdown;
  process.stdout.write(`Received ${signal}, shutting down\n`);
  await server.close();
}

function listenError(error: unknown, host: string, port: number, flag = "--port"): Error {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return new CliError(`Port ${port} on ${host} is already in use; choose another with ${flag}.`);
    case "EACCES":
      return new CliError(`Not allowed to listen on ${host}:${port}; choose a port above 1023 with ${flag}.`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new CliError(`Cannot listen on ${host}: it is not an address of this machine.`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
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
