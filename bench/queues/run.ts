/**
 * The queue benchmark: every system is measured in a process of its own (bench/queues/measure.ts),
 * one at a time, then the markdown report is printed and written to docs/benchmarks.md
 * (section `## Queues`).
 *
 * The repetitions go round-robin: for each concurrency level every system warms up, then round
 * r runs repetition r of every system in turn (the order rotating each round). Only one system
 * works at any moment, and a slow patch of the shared machine hits all systems alike instead of
 * the one that happened to be running.
 *
 *   npm run bench -- queues [--messages 20000] [--warmup 2000] [--repetitions 5] [--loops 1,4]
 *     [--systems inflow-sqlite,inflow-postgres,pg-boss,graphile-worker,http-sqlite,http-postgres]
 *     [--no-statements] [--idle-wait SECONDS] [--docs | --no-docs]
 *
 * Environment: INFLOW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_MESSAGES, BENCH_WARMUP, BENCH_REPETITIONS, BENCH_LOOPS as defaults for the flags.
 * The docs are written by default when every system was measured; --docs / --no-docs decide.
 * Before each repetition the runner waits up to --idle-wait seconds (default 120, 0 to skip) for
 * the machine to be mostly idle, so that other work on a shared machine distorts fewer runs.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeMachine, nonNegative, positive, startMeasuringChild, waitForIdle } from "../harness.js";
import { checkIdentifier, DEFAULT_OPTIONS, databaseUrl, median, redactUrl, withClient } from "./common.js";
import type { Request, Response } from "./measure.js";
import { renderSection, type SystemResult, writeSection } from "./report.js";
import { SYSTEMS, type SystemSpec } from "./systems.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MEASURE = join(ROOT, "bench/queues/measure.ts");
const DOCS = join(ROOT, "docs/benchmarks.md");
const STATEMENT_RUN_MESSAGES = 1000;

export async function main(args: string[], command: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: "string", default: process.env.BENCH_MESSAGES ?? String(DEFAULT_OPTIONS.messages) },
      warmup: { type: "string", default: process.env.BENCH_WARMUP ?? String(DEFAULT_OPTIONS.warmup) },
      repetitions: {
        type: "string",
        default: process.env.BENCH_REPETITIONS ?? String(DEFAULT_OPTIONS.repetitions),
      },
      loops: { type: "string", default: process.env.BENCH_LOOPS ?? DEFAULT_OPTIONS.loops.join(",") },
      systems: { type: "string" },
      "no-statements": { type: "boolean", default: false },
      "idle-wait": { type: "string", default: process.env.BENCH_IDLE_WAIT ?? "120" },
      docs: { type: "boolean" },
      "no-docs": { type: "boolean", default: false },
    },
  });
  const messages = positive(values.messages, "--messages");
  const warmup = nonNegative(values.warmup, "--warmup");
  const repetitions = positive(values.repetitions, "--repetitions");
  const loops = values.loops.split(",").map((value) => positive(value, "--loops"));
  const selected = values.systems
    ? values.systems.split(",").map((name) => {
        const spec = SYSTEMS.find((system) => system.name === name.trim());
        if (!spec)
          throw new Error(`Unknown system "${name}"; known: ${SYSTEMS.map((s) => s.name).join(", ")}`);
        return spec;
      })
    : [...SYSTEMS];
  const idleWaitSeconds = nonNegative(values["idle-wait"], "--idle-wait");
  const writeDocs = values["no-docs"] ? false : (values.docs ?? selected.length === SYSTEMS.length);

  const machine = await describeMachine();
  // Names this run's schemas (bench_queues_<system>_<tag>), see systems.ts.
  const runTag = randomBytes(4).toString("hex");
  const loads: number[] = [];
  const busyBefore: number[] = [];
  const children = selected.map((spec) => ({
    spec,
    child: startChild(spec, runTag),
    result: emptyResult(spec),
  }));
  try {
    for (const entry of children) {
      const response = await entry.child.request({ op: "open" });
      if (!response.ok) entry.result.error = `open: ${response.error}`;
      if (response.server) entry.result.server = response.server;
    }
    const live = () => children.filter((entry) => !entry.result.error);
    for (const level of loops) {
      const runs = new Map(children.map((entry) => [entry.spec.name, [] as NonNullable<Response["run"]>[]]));
      process.stderr.write(`\n== ${level} loop(s): warm-up\n`);
      for (const entry of live()) {
        if (warmup === 0) break;
        const response = await entry.child.request({ op: "warmup", messages: warmup, loops: level });
        if (!response.ok) entry.result.error = `warm-up, ${level} loops: ${response.error}`;
      }
      for (let round = 0; round < repetitions; round++) {
        process.stderr.write(`== ${level} loop(s): round ${round + 1}/${repetitions}\n`);
        const order = rotate(live(), round);
        for (const entry of order) {
          const busy = await waitForIdle(idleWaitSeconds);
          loads.push(loadavg()[0]!);
          busyBefore.push(busy);
          const response = await entry.child.request({ op: "run", messages, loops: level });
          if (response.ok && response.run) runs.get(entry.spec.name)!.push(response.run);
          else entry.result.error = `run, ${level} loops: ${response.error}`;
        }
      }
      for (const entry of children) {
        const measured = runs.get(entry.spec.name)!;
        if (measured.length === 0) continue;
        entry.result.levels.push({
          loops: level,
          runs: measured,
          medianPerSecond: median(measured.map((run) => run.perSecond)),
        });
      }
    }
    if (!values["no-statements"]) {
      for (const entry of live()) {
        if (entry.spec.transport !== "in-process" || entry.spec.backend !== "postgres") continue;
        const response = await entry.child.request({ op: "statements", messages: STATEMENT_RUN_MESSAGES });
        if (response.ok && response.statements) entry.result.statements = response.statements;
      }
    }
  } finally {
    for (const entry of children) await entry.child.close();
    await dropRunSchemas(runTag);
  }

  machine.load = loads.length > 0 ? [Math.min(...loads), Math.max(...loads)] : [0, 0];
  machine.busyBefore = busyBefore.length > 0 ? [Math.min(...busyBefore), Math.max(...busyBefore)] : [0, 0];
  machine.idleWaitSeconds = idleWaitSeconds;
  const section = renderSection({
    command,
    revision: describeRevision(),
    machine,
    messages,
    warmup,
    repetitions,
    loops,
    databaseUrl: redactUrl(databaseUrl()),
    results: children.map((entry) => entry.result),
  });
  process.stdout.write(`\n${section}\n`);
  if (writeDocs) {
    writeSection(DOCS, section);
    process.stderr.write(`Wrote the "## Queues" section of ${DOCS}\n`);
  } else {
    process.stderr.write("Not writing docs/benchmarks.md (a subset of systems, or --no-docs).\n");
  }
  if (children.some((entry) => entry.result.error)) process.exitCode = 1;
}

/** Drops what a crashed measuring process may have left of this run's schemas. */
async function dropRunSchemas(runTag: string): Promise<void> {
  try {
    await withClient(async (client) => {
      const { rows } = await client.query<{ nspname: string }>(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_queues\\_%' AND nspname LIKE $1",
        [`%\\_${runTag}`],
      );
      for (const { nspname } of rows)
        await client.query(`DROP SCHEMA IF EXISTS ${checkIdentifier(nspname)} CASCADE`);
    });
  } catch {
    // PostgreSQL unreachable: nothing of ours can be left there either.
  }
}

/** The commit measured, and whether the queue and store code differed from it. */
function describeRevision(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    const dirty = git(
      "status",
      "--porcelain",
      "--",
      "src/queues",
      "src/store",
      "src/server",
      "src/aws",
      "src/cli",
    );
    return dirty ? `commit ${commit} plus uncommitted changes under src/` : `commit ${commit}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

function emptyResult(spec: SystemSpec): SystemResult {
  return {
    system: spec.name,
    label: spec.label,
    backend: spec.backend,
    transport: spec.transport,
    levels: [],
  };
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length === 0) return items;
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A measuring process for one system, answering one request at a time. */
function startChild(spec: SystemSpec, runTag: string) {
  return startMeasuringChild<Request, Response>(MEASURE, spec.name, {
    cwd: ROOT,
    // The SDK's notice about future Node.js versions is noise in a benchmark log.
    env: { AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: "1", BENCH_RUN_TAG: runTag },
  });
}
