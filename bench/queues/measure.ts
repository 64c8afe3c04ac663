/**
 * Measures one system in this process: bench/queues/run.ts starts one such process per system
 * and sends it requests, one JSON object per line on stdin, answered by one JSON line on
 * stdout (logs go to stderr):
 *
 *   {"op":"open"}                              -> {"ok":true,"server":...}
 *   {"op":"warmup","messages":N,"loops":L}     -> {"ok":true,"run":CycleRun}  (then housekeeping)
 *   {"op":"run","messages":N,"loops":L}        -> {"ok":true,"run":CycleRun}  (then housekeeping)
 *   {"op":"statements","messages":N}           -> {"ok":true,"statements":{perCycle,top}}
 *   {"op":"close"}                             -> {"ok":true}, then the process exits
 *
 * Every run is checked to leave the queue empty. Only one process measures at any time: the
 * others wait for their turn, idle.
 *
 * "statements" counts the SQL statements sent per cycle by every `pg` client of the process over
 * an unmeasured 1-loop run (PostgreSQL systems driven in-process); it patches `pg`, so it comes last.
 */
import { answerRequests } from "../harness.js";
import {
  backendCpuSpent,
  type CpuPerMessage,
  type CycleRun,
  countStatements,
  postgresBackendCpu,
  processCpuMicros,
  type QueueDriver,
  runCycles,
} from "./common.js";
import { systemNamed } from "./systems.js";

export interface StatementCount {
  perCycle: number;
  top: Array<{ text: string; perCycle: number }>;
}

export type Request =
  | { op: "open" }
  | { op: "warmup" | "run"; messages: number; loops: number }
  | { op: "statements"; messages: number }
  | { op: "close" };

export interface Response {
  ok: boolean;
  error?: string;
  run?: CycleRun;
  statements?: StatementCount;
  server?: { via: string; command: string };
}

const spec = systemNamed(process.argv[2] ?? "");
// Tags this system's PostgreSQL connections (see systemDatabaseUrl) so their backends' CPU is countable.
const applicationName = `bench_${spec.name.replaceAll("-", "_")}`;
process.env.BENCH_APPLICATION_NAME = applicationName;
const log = (line: string) => process.stderr.write(`[${spec.name}] ${line}\n`);
let driver: (QueueDriver<unknown> & { server?: { via: string; command: string } }) | undefined;
let seq = 0;

async function cpuSnapshot() {
  return {
    client: process.cpuUsage(),
    server: driver!.serverPid !== undefined ? processCpuMicros(driver!.serverPid) : undefined,
    postgres: spec.backend === "postgres" ? await postgresBackendCpu(applicationName) : undefined,
  };
}

async function cycles(messages: number, loops: number): Promise<CycleRun> {
  const before = await cpuSnapshot();
  const run = await runCycles(driver!, messages, loops, seq);
  const after = await cpuSnapshot();
  seq += messages;
  const client = process.cpuUsage(before.client);
  const cpu: CpuPerMessage = { client: (client.user + client.system) / messages };
  if (before.server !== undefined && after.server !== undefined)
    cpu.server = (after.server - before.server) / messages;
  if (before.postgres && after.postgres)
    cpu.postgres = backendCpuSpent(before.postgres, after.postgres) / messages;
  run.cpu = cpu;
  const left = await driver!.remaining();
  if (left !== 0) throw new Error(`${left} messages left in the queue after a run`);
  return run;
}

async function handle(request: Request): Promise<Response> {
  switch (request.op) {
    case "open":
      driver = await spec.open();
      return { ok: true, ...(driver.server ? { server: driver.server } : {}) };
    case "warmup":
    case "run": {
      const run = await cycles(request.messages, request.loops);
      await driver!.housekeeping();
      log(`${request.op} loops=${request.loops}: ${Math.round(run.perSecond)} msg/s`);
      return { ok: true, run };
    }
    case "statements": {
      const counter = countStatements();
      const textsBefore = new Map(counter.texts());
      const before = counter.count();
      await cycles(request.messages, 1);
      const cycleCount = request.messages / 10;
      const top = [...counter.texts()]
        .map(([text, n]) => ({ text, perCycle: (n - (textsBefore.get(text) ?? 0)) / cycleCount }))
        .filter((entry) => entry.perCycle > 0)
        .sort((a, b) => b.perCycle - a.perCycle);
      const statements = { perCycle: (counter.count() - before) / cycleCount, top };
      log(`statements per cycle: ${statements.perCycle}`);
      return { ok: true, statements };
    }
    case "close":
      await driver?.close();
      driver = undefined;
      return { ok: true };
  }
}

await answerRequests(handle, log, async () => {
  await driver?.close();
});
