import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Presets, SingleBar } from "cli-progress";
import type { Command } from "commander";
import { containerProgress, containersFinishedSince } from "../../invoices/containers.js";
import { fileTooLarge } from "../../invoices/errors.js";
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_TENANT } from "../../invoices/types.js";
import { DEFAULT_DATA_DIR } from "../../store/open.js";
import { CliError } from "../errors.js";
import { duration, table, truncate, write, writeJson } from "../output.js";
import { type RunningServer, startServer } from "./serve.js";

interface DigitizeOptions {
  data: string;
  json?: boolean;
}

/** Files read and handed to the pipeline at once. */
const SUBMIT_CONCURRENCY = 8;
/**
 * Containers unfinished at once: enough to keep every step of the pipeline busy, few enough that a
 * file waits behind hundreds, not thousands, at each step.
 */
const MAX_IN_FLIGHT = 200;
/** How often finished containers are looked for. */
const POLL_MILLIS = 200;
/** How far back each look reaches before the previous one: a transition's time is taken before it commits. */
const LOOK_BACK_MILLIS = 5_000;
/** How often every container still waited for is read again, whatever the looks found. */
const SWEEP_MILLIS = 10_000;
/** Containers read back per query in a sweep. */
const POLL_BATCH = 500;
const ERROR_COLUMN_WIDTH = 80;

export interface DigitizedFile {
  /** The path as given. */
  file: string;
  /** Null when the file never became a container (unreadable, empty, too large). */
  id: string | null;
  state: "New" | "Processing" | "Done" | "Error";
  invoices: number;
  error?: string;
}

export function registerDigitize(program: Command): void {
  program
    .command("digitize")
    .description(
      "Digitize files once, on the embedded database: each file becomes a container that runs through the digitize workflow; prints each container's state and invoice count.",
    )
    .argument("<files...>", "invoice files (X12 810, EDIFACT INVOIC, CSV, JSON), or directories of them")
    .option("--data <dir>", "SQLite data directory", DEFAULT_DATA_DIR)
    .option("--json", "print one JSON report instead of a table")
    .action(async (files: string[], options: DigitizeOptions) => {
      process.exitCode = await digitizeCommand(files, options);
    });
}

/** The files named, a directory standing for the files in it (not its subdirectories), in name order. */
async function expandFiles(given: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of given) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) files.push(path);
    else if (info?.isDirectory()) {
      const names = (await readdir(path)).filter((name) => !name.startsWith(".")).sort();
      for (const name of names) {
        // stat, not the directory entry: a link to a file counts as the file.
        if ((await stat(join(path, name)).catch(() => undefined))?.isFile()) files.push(join(path, name));
      }
    } else throw new CliError(`${path}: no such file or directory.`);
  }
  if (files.length === 0) throw new CliError(`No files in ${given.join(", ")}.`);
  return files;
}

async function digitizeCommand(given: string[], options: DigitizeOptions): Promise<number> {
  const files = await expandFiles(given);
  const started = Date.now();
  const server = await startServer({
    data: options.data,
    host: "127.0.0.1",
    port: 0,
    scheduleSources: false,
  });
  let results: DigitizedFile[];
  try {
    results = await digitizeFiles(server, files, progressBar(files.length, options.json === true));
  } finally {
    await server.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const summary = summarize(results, seconds);
  if (options.json) {
    await writeJson({
      containers: results.map(({ id, file, state, invoices, error }) => ({
        id,
        file,
        state,
        invoices,
        ...(error !== undefined ? { error } : {}),
      })),
      summary,
    });
  } else {
    await write(
      table(results, [
        { header: "FILE", value: (row) => row.file },
        { header: "STATE", value: (row) => row.state },
        { header: "INVOICES", value: (row) => String(row.invoices), align: "right" },
        { header: "CONTAINER", value: (row) => row.id ?? "-" },
        { header: "ERROR", value: (row) => truncate(row.error ?? "", ERROR_COLUMN_WIDTH) },
      ]),
    );
    await write(
      `${summary.files} files: ${summary.done} Done, ${summary.error} Error; ${summary.invoices} invoices in ${duration(seconds * 1000)}\n`,
    );
  }
  return summary.error === 0 ? 0 : 1;
}

function summarize(results: readonly DigitizedFile[], seconds: number) {
  const invoices = results.reduce((sum, row) => sum + row.invoices, 0);
  const done = results.filter((row) => row.state === "Done").length;
  return {
    files: results.length,
    done,
    error: results.length - done,
    invoices,
    seconds: Math.round(seconds * 1000) / 1000,
    filesPerSecond: Math.round((results.length / seconds) * 10) / 10,
    invoicesPerSecond: Math.round((invoices / seconds) * 10) / 10,
  };
}

interface Progress {
  update(counts: { finished: number; invoices: number; errors: number }): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal (never in the JSON output, never in a log). */
function progressBar(total: number, quietStdout: boolean): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format:
        "{bar} {value}/{total} files | {invoices} invoices | {errors} errors | {rate} files/s | {duration_formatted}",
      hideCursor: true,
      clearOnComplete: quietStdout,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(total, 0, { invoices: 0, errors: 0, rate: "0.0" });
  return {
    update: ({ finished, invoices, errors }) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(finished, { invoices, errors, rate: (finished / seconds).toFixed(1) });
    },
    stop: () => bar.stop(),
  };
}

/**
 * Hands the files to the pipeline, keeping at most MAX_IN_FLIGHT containers unfinished at once (so
 * each file goes through in seconds, and the queues stay short however many files there are), and
 * waits until each container is Done or Error. A file that cannot become a container (empty, too
 * large) is reported as Error with the reason, as the API would refuse it.
 */
export async function digitizeFiles(
  server: RunningServer,
  files: readonly string[],
  progress: Progress = { update: () => undefined, stop: () => undefined },
): Promise<DigitizedFile[]> {
  const results: DigitizedFile[] = files.map((file) => ({ file, id: null, state: "New", invoices: 0 }));
  const pending = new Map<string, DigitizedFile>();
  let next = 0;
  let finished = 0;
  let invoices = 0;
  let errors = 0;
  const finish = (
    row: DigitizedFile,
    seen: { state: DigitizedFile["state"]; createdCount: number; error?: string },
  ) => {
    row.state = seen.state;
    row.invoices = seen.createdCount;
    if (seen.error !== undefined) row.error = seen.error;
    finished++;
    invoices += row.invoices;
    if (row.state === "Error") errors++;
  };
  const submit = async (row: DigitizedFile) => {
    try {
      // Refused unread, as the API refuses such an upload.
      if ((await stat(row.file)).size > DEFAULT_MAX_FILE_BYTES) throw fileTooLarge(DEFAULT_MAX_FILE_BYTES);
      const bytes = await readFile(row.file);
      const { containerId } = await server.pipeline.receive(DEFAULT_TENANT, {
        name: basename(row.file),
        bytes,
        source: "cli",
      });
      row.id = containerId;
      pending.set(containerId, row);
    } catch (error) {
      finish(row, { state: "Error", createdCount: 0, error: (error as Error).message });
    }
  };
  const refill = async () => {
    while (next < files.length && pending.size < MAX_IN_FLIGHT) {
      const batch = results.slice(next, next + Math.min(SUBMIT_CONCURRENCY, MAX_IN_FLIGHT - pending.size));
      next += batch.length;
      await Promise.all(batch.map(submit));
    }
  };
  const settle = (
    seen: Array<{ id: string; state: DigitizedFile["state"]; createdCount: number; error?: string }>,
  ) => {
    for (const container of seen) {
      const row = pending.get(container.id);
      if (!row || (container.state !== "Done" && container.state !== "Error")) continue;
      pending.delete(container.id);
      finish(row, container);
    }
  };
  try {
    let lastLook = Date.now();
    let lastSweep = lastLook;
    for (await refill(); next < files.length || pending.size > 0; await refill()) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MILLIS));
      const now = Date.now();
      // What finished since the last look (with a margin for transactions that commit after their
      // time was taken); now and then every container still waited for, in case one slipped past.
      settle(await containersFinishedSince(server.store, lastLook - LOOK_BACK_MILLIS));
      lastLook = now;
      if (now - lastSweep >= SWEEP_MILLIS) {
        lastSweep = now;
        const ids = [...pending.keys()];
        for (let i = 0; i < ids.length; i += POLL_BATCH) {
          settle(await containerProgress(server.store, ids.slice(i, i + POLL_BATCH)));
        }
      }
      progress.update({ finished, invoices, errors });
    }
  } finally {
    progress.stop();
  }
  return results;
}
