/**
 * What the benchmark suites share: a measuring child process spoken to in JSON lines, the
 * machine facts each report prints, flag parsing, and the wait for an idle machine.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, platform, release } from "node:os";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { postgresVersion } from "./queues/common.js";

/** Runs `measureFile` for one system in a process of its own; `request` sends one JSON line and reads one back. */
export function startMeasuringChild<Request extends { op: string }, Response>(
  measureFile: string,
  system: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", measureFile, system], {
    cwd: options.cwd,
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...options.env },
  });
  const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  // Each suite's Response has an `{ ok: false, error }` form for failures; these are that form.
  const failed = (error: string) => ({ ok: false, error }) as unknown as Response;
  const request = async (message: Request): Promise<Response> => {
    if (exited) return failed("the measuring process has exited");
    child.stdin!.write(`${JSON.stringify(message)}\n`);
    const next = await answers.next();
    if (next.done) return failed("the measuring process exited without answering");
    return JSON.parse(next.value) as Response;
  };
  return {
    request,
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await request({ op: "close" } as Request);
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/**
 * The measuring process's side of startMeasuringChild: answers each JSON line on stdin with
 * `handle`'s response (or `{ ok: false, error }`) until a `close` request, then exits.
 */
export async function answerRequests<Request extends { op: string }, Response>(
  handle: (request: Request) => Promise<Response>,
  log: (line: string) => void,
  close: () => Promise<void>,
): Promise<never> {
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as Request;
    let response: Response | { ok: false; error: string };
    try {
      response = await handle(request);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${request.op} failed: ${message}`);
      response = { ok: false, error: message };
    }
    process.stdout.write(`${JSON.stringify(response)}\n`);
    if (request.op === "close") break;
  }
  await close().catch(() => undefined);
  process.exit(0);
}

/** The machine a report was measured on; load and idle figures are filled in as the run goes. */
export async function describeMachine() {
  let postgres: string;
  try {
    postgres = await postgresVersion();
  } catch (error) {
    postgres = `unreachable (${(error as Error).message})`;
  }
  const memory = new Database(":memory:");
  const sqlite = (memory.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
  memory.close();
  return {
    date: new Date().toISOString().slice(0, 10),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    postgres,
    sqlite,
    platform: `${platform()} ${release()}`,
    load: [0, 0] as [number, number],
    busyBefore: [0, 0] as [number, number],
    idleWaitSeconds: 0,
  };
}

export function positive(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new Error(`${flag} must be a positive integer, not "${value}"`);
  return number;
}

export function nonNegative(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new Error(`${flag} must be an integer >= 0, not "${value}"`);
  return number;
}

/** The share of all CPUs busy or waiting for I/O over `millis`, from /proc/stat (0 when unreadable). */
export async function cpuBusy(millis: number): Promise<number> {
  const sample = () => {
    try {
      const fields = readFileSync("/proc/stat", "utf8")
        .split("\n")[0]!
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
      // Waiting for I/O counts as busy: the disk is what PostgreSQL's commits wait on.
      const idle = fields[3] ?? 0;
      return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
    } catch {
      return undefined;
    }
  };
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, millis));
  const after = sample();
  if (!before || !after || after.total === before.total) return 0;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}

/**
 * Before a measured run (the benchmark's own processes idle at that moment), waits up to
 * `maxSeconds` for the machine to be mostly idle: under 25 % of the CPUs busy over one second.
 * Returns the busy share seen last (over a fifth of a second when not waiting at all).
 */
export async function waitForIdle(maxSeconds: number): Promise<number> {
  if (maxSeconds === 0) return cpuBusy(200);
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await cpuBusy(1000);
  while (busy > 0.25 && Date.now() < deadline) busy = await cpuBusy(1000);
  return busy;
}
