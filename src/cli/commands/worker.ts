import { type Command, InvalidArgumentError, Option } from "commander";
import { createQueues } from "../../queues/service.js";
import { createStates } from "../../states/engine.js";
import { DEFAULT_DATA_DIR, openStore } from "../../store/open.js";
import { nextShutdownSignal } from "../signals.js";

interface WorkerOptions {
  data: string;
  database?: string;
  concurrency: number;
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
    .action(work);
}

async function work(options: WorkerOptions): Promise<void> {
  const store = await openStore(
    options.database ? { databaseUrl: options.database } : { dataDir: options.data },
  );
  const queues = createQueues(store);
  queues.startBackground();
  const states = createStates(store, queues, {
    concurrency: options.concurrency,
    onError: (error) => process.stderr.write(`worker: ${(error as Error)?.stack ?? String(error)}\n`),
  });
  await states.startWorkers();
  process.stdout.write(`Inflow worker running (data: ${store.location})\n`);
  const signal = await nextShutdownSignal();
  process.stdout.write(`Received ${signal}, shutting down\n`);
  await states.close();
  await queues.close();
  await store.close();
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64)
    throw new InvalidArgumentError("expected a number from 1 to 64.");
  return n;
}
