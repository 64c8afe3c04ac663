/**
 * What every queue benchmark shares: the options, the measured cycle, the PostgreSQL helpers.
 *
 * The cycle, the same for every system: send a batch of 10, receive up to 10, acknowledge
 * (delete / complete) what was received. A run moves `messages` messages through it with
 * `loops` concurrent client loops and reports messages per second over the wall time of the run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";

export const BATCH = 10;

/** One system under test, seen as a queue with three batch operations. */
export interface QueueDriver<Handle> {
  /** Sends `payloads.length` (<= 10) messages in one batch call. */
  send(payloads: Payload[]): Promise<void>;
  /** Receives up to 10 messages in one call (no long polling: answers at once, empty or not). */
  receive(): Promise<Handle[]>;
  /** Acknowledges received messages in one batch call (delete / complete). */
  ack(handles: Handle[]): Promise<void>;
  /** Messages left in the queue (any state); 0 after a clean run. */
  remaining(): Promise<number>;
  /** Between repetitions: the same housekeeping for every system (VACUUM ANALYZE of its tables on PostgreSQL). */
  housekeeping(): Promise<void>;
  close(): Promise<void>;
  /** The server process the client talks to, if any (its CPU time is counted apart). */
  serverPid?: number;
}

/** The message every system carries: small JSON, about 90 bytes serialized. */
export interface Payload {
  seq: number;
  invoice: string;
  amount: string;
}

export function payloads(from: number, count: number): Payload[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = from + index;
    return { seq, invoice: `INV-${String(seq).padStart(8, "0")}`, amount: `${seq % 1000}.${seq % 100}` };
  });
}

export interface RunOptions {
  /** Messages per measured repetition. */
  messages: number;
  /** Messages of the unmeasured warm-up before each concurrency level. */
  warmup: number;
  repetitions: number;
  /** Concurrency levels: client loops running the cycle at once. */
  loops: number[];
}

export const DEFAULT_OPTIONS: RunOptions = { messages: 20_000, warmup: 2_000, repetitions: 5, loops: [1, 4] };

/** Wall time per call kind, summed over all loops (divide by calls for the mean latency). */
export interface CallTimes {
  send: { calls: number; millis: number };
  receive: { calls: number; millis: number };
  ack: { calls: number; millis: number };
}

/** CPU time per message, in microseconds, by where it was spent (undefined: not measurable here). */
export interface CpuPerMessage {
  /** The measuring process: the client loops and, in-process, the system itself. */
  client: number;
  /** The server process (HTTP runs). */
  server?: number;
  /** The PostgreSQL backends serving the system's connections (a local server only). */
  postgres?: number;
}

export interface CycleRun {
  messages: number;
  millis: number;
  perSecond: number;
  calls: CallTimes;
  cpu?: CpuPerMessage;
}

/**
 * Moves `total` messages through send -> receive -> ack with `loops` concurrent loops. A loop
 * sends while the run has messages left to send, receives after every send, and stops once
 * everything is sent and a receive comes back empty (whatever is still in flight belongs to a
 * loop that is still running and will acknowledge it).
 */
export async function runCycles<Handle>(
  driver: QueueDriver<Handle>,
  total: number,
  loops: number,
  seqBase = 0,
): Promise<CycleRun> {
  let sent = 0;
  let acknowledged = 0;
  const calls: CallTimes = {
    send: { calls: 0, millis: 0 },
    receive: { calls: 0, millis: 0 },
    ack: { calls: 0, millis: 0 },
  };
  const timed = async <T>(kind: keyof CallTimes, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    calls[kind].calls += 1;
    calls[kind].millis += performance.now() - start;
    return result;
  };

  const loop = async () => {
    for (;;) {
      if (sent < total) {
        const count = Math.min(BATCH, total - sent);
        const batch = payloads(seqBase + sent, count);
        sent += count;
        await timed("send", () => driver.send(batch));
      }
      const received = await timed("receive", () => driver.receive());
      if (received.length > 0) {
        await timed("ack", () => driver.ack(received));
        acknowledged += received.length;
      } else if (sent >= total) {
        return;
      }
    }
  };

  const start = performance.now();
  await Promise.all(Array.from({ length: loops }, loop));
  const millis = performance.now() - start;
  if (acknowledged !== total) {
    throw new Error(`Cycle lost count: sent ${sent}, acknowledged ${acknowledged} of ${total}.`);
  }
  return { messages: total, millis, perSecond: (total * 1000) / millis, calls };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// PostgreSQL -----------------------------------------------------------------------------------

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

export function databaseUrl(): string {
  return process.env.INFLOW_TEST_DATABASE_URL || DEFAULT_DATABASE_URL;
}

/**
 * The URL a system under test connects with: the benchmark database, with an application_name
 * naming the system, so that its PostgreSQL backends (and their CPU time) can be told apart from
 * the benchmark's own helper connections and from anything else using the server.
 */
export function systemDatabaseUrl(): string {
  const url = new URL(databaseUrl());
  const name = process.env.BENCH_APPLICATION_NAME;
  if (name) url.searchParams.set("application_name", name);
  return url.toString();
}

/** A connection string without its password, for reports. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres";
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Not a safe PostgreSQL identifier: ${name}`);
  return name;
}

/** Runs `work` on a short-lived client of the benchmark database. */
export async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${checkIdentifier(schema)} CASCADE`));
}

/** VACUUM ANALYZE every table of a schema: what autovacuum would get to eventually, done now. */
export async function vacuumSchema(schema: string): Promise<void> {
  await withClient(async (client) => {
    const { rows } = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename",
      [schema],
    );
    for (const { tablename } of rows) {
      await client.query(`VACUUM ANALYZE ${checkIdentifier(schema)}.${pg.escapeIdentifier(tablename)}`);
    }
  });
}

export async function postgresVersion(): Promise<string> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    return rows[0]?.server_version ?? "unknown";
  });
}

/**
 * Counts statements sent to PostgreSQL by every `pg` client of this process (Inflow, pg-boss and
 * graphile-worker all use the one installed `pg`). For profiling round trips per cycle.
 */
export function countStatements(): { count: () => number; texts: () => Map<string, number> } {
  let count = 0;
  const texts = new Map<string, number>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    count += 1;
    const first = args[0];
    const text =
      typeof first === "string"
        ? first
        : typeof first === "object" && first !== null && "text" in first
          ? String((first as { text: unknown }).text)
          : "?";
    const key = text.replace(/\s+/g, " ").trim().slice(0, 120);
    texts.set(key, (texts.get(key) ?? 0) + 1);
    return original.apply(this, args);
  };
  return { count: () => count, texts: () => texts };
}

// CPU time ---------------------------------------------------------------------------------------

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of a process so far, in microseconds (Linux /proc), or undefined. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * CPU time of the PostgreSQL backends whose application_name is `name`, per backend pid, or
 * undefined when they cannot be read (a remote server, or no permission).
 */
export async function postgresBackendCpu(name: string): Promise<Map<number, number> | undefined> {
  const { rows } = await withClient((client) =>
    client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [name]),
  );
  const result = new Map<number, number>();
  for (const { pid } of rows) {
    const micros = processCpuMicros(pid);
    if (micros === undefined) return undefined;
    result.set(pid, micros);
  }
  return result;
}

/** Micros spent between two backend snapshots; backends born in between count from zero. */
export function backendCpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, micros] of after) spent += micros - (before.get(pid) ?? 0);
  return spent;
}
