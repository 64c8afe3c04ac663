/**
 * The functions benchmark (issue 5): messages per second through an event-source mapping with a
 * no-op handler, on SQLite and PostgreSQL. Each backend is measured in a process of its own
 * (bench/functions/measure.ts), one at a time, rounds rotating the order. The report is printed
 * and written to docs/benchmarks.md (section `## Functions`).
 *
 *   npm run bench -- functions [--messages 10000] [--batch-size 10] [--concurrency 10]
 *     [--repetitions 3] [--warmup 1] [--systems sqlite,postgres] [--idle-wait SECONDS] [--docs | --no-docs]
 *
 * --concurrency is the mapping's MaximumConcurrency. Environment: INFLOW_TEST_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test). The docs are written by default when both
 * backends were measured. Before each run the runner waits up to --idle-wait seconds (default 30,
 * 0 to skip) for a mostly idle machine, as the other suites do.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeMachine, nonNegative, positive, startMeasuringChild, waitForIdle } from "../harness.js";
import { databaseUrl, redactUrl } from "../queues/common.js";
import { BACKEND_NAMES, type Backend, type MappingRun, type Request, type Response } from "./protocol.js";
import { type FunctionsReport, renderSection, writeSection } from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MEASURE = join(ROOT, "bench/functions/measure.ts");
const DOCS = join(ROOT, "docs/benchmarks.md");

export async function main(args: string[], command: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: "string", default: "10000" },
      "batch-size": { type: "string", default: "10" },
      concurrency: { type: "string", default: "10" },
      repetitions: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      systems: { type: "string" },
      "idle-wait": { type: "string", default: "30" },
      docs: { type: "boolean" },
      "no-docs": { type: "boolean", default: false },
    },
  });
  const settings = {
    messages: positive(values.messages, "--messages"),
    batchSize: positive(values["batch-size"], "--batch-size"),
    maximumConcurrency: positive(values.concurrency, "--concurrency"),
    repetitions: positive(values.repetitions, "--repetitions"),
    warmup: nonNegative(values.warmup, "--warmup"),
  };
  const backends = values.systems
    ? values.systems.split(",").map((name) => {
        const backend = name.trim() as Backend;
        if (!BACKEND_NAMES.includes(backend))
          throw new Error(`Unknown system "${name}"; known: ${BACKEND_NAMES.join(", ")}`);
        return backend;
      })
    : [...BACKEND_NAMES];
  const idleWait = nonNegative(values["idle-wait"], "--idle-wait");
  const writeDocs = values["no-docs"] ? false : (values.docs ?? backends.length === BACKEND_NAMES.length);

  const machine = await describeMachine();
  const loads: number[] = [];
  const busy: number[] = [];
  const failures: string[] = [];
  const entries = backends.map((backend) => ({
    backend,
    child: startMeasuringChild<Request, Response>(MEASURE, backend, { cwd: ROOT }),
    runs: [] as MappingRun[],
    failed: false,
  }));
  const request = async (entry: (typeof entries)[number], message: Request, what: string) => {
    const response = await entry.child.request(message);
    if (!response.ok) {
      entry.failed = true;
      failures.push(`${entry.backend}, ${what}: ${response.error?.split("\n")[0] ?? "unknown error"}`);
    }
    return response;
  };
  const runRequest: Request = { op: "run", ...settings };
  try {
    for (const entry of entries) await request(entry, { op: "open" }, "open");
    for (const entry of entries.filter((e) => !e.failed)) {
      process.stderr.write(`== ${entry.backend}: warm-up\n`);
      for (let round = 0; round < settings.warmup && !entry.failed; round++)
        await request(entry, runRequest, "warm-up");
    }
    for (let round = 0; round < settings.repetitions; round++) {
      const live = entries.filter((entry) => !entry.failed);
      const shift = live.length > 0 ? round % live.length : 0;
      for (const entry of [...live.slice(shift), ...live.slice(0, shift)]) {
        busy.push(await waitForIdle(idleWait));
        loads.push(loadavg()[0]!);
        const response = await request(entry, runRequest, `round ${round + 1}`);
        if (response.run) {
          entry.runs.push(response.run);
          process.stderr.write(
            `== ${entry.backend} round ${round + 1}: ${Math.round(response.run.messagesPerSecond)} messages/s\n`,
          );
        }
      }
    }
  } finally {
    await Promise.all(entries.map((entry) => entry.child.close()));
  }
  const range = (values: number[]): [number, number] =>
    values.length > 0 ? [Math.min(...values), Math.max(...values)] : [0, 0];
  machine.load = range(loads);
  machine.busyBefore = range(busy);
  const report: FunctionsReport = {
    command,
    commit: commitOf(),
    machine,
    postgresUrl: redactUrl(databaseUrl()),
    settings,
    runs: entries.map(({ backend, runs }) => ({ backend, runs })),
    failures,
  };
  const section = renderSection(report);
  process.stdout.write(`${section}\n`);
  if (writeDocs && failures.length === 0) {
    writeSection(DOCS, section);
    process.stderr.write(`Wrote ${DOCS} (## Functions)\n`);
  }
}

function commitOf(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
