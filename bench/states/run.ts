/**
 * The workflow benchmark (issue 4, item 7): durable state transitions per second of Inflow's
 * engine on SQLite and PostgreSQL, with aws-local-stepfunctions (in memory) as the peer on the
 * same definitions in the same run. Scenarios (bench/states/scenarios.ts): (a) a 10-state
 * Pass/Choice chain, (b) a Map of 100 items at MaxConcurrency 10, (c) waitForTaskToken round
 * trips through an Inflow queue answered by a consumer.
 *
 * Every system is measured in a process of its own (bench/states/measure.ts), one at a time.
 * Per scenario: every system warms up, then round r runs repetition r of every system in turn,
 * the order rotating each round. Then, unless --no-statements, one unmeasured run per scenario
 * counts Inflow's SQL statements. The report is printed and written to docs/benchmarks.md
 * (section `## States`).
 *
 *   npm run bench -- states [--repetitions 5] [--warmup 1] [--chain 1000] [--map 20] [--token 500]
 *     [--concurrency 2] [--consumers 2] [--scenarios chain,map,token]
 *     [--systems inflow-sqlite,inflow-postgres,aws-local-stepfunctions] [--no-statements]
 *     [--idle-wait SECONDS] [--docs | --no-docs]
 *
 * --chain/--map/--token: executions started at once per run. --concurrency: Inflow's step loops
 * (`createStates(..., { concurrency })`). --consumers: loops answering task tokens.
 * Environment: INFLOW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 * The docs are written by default when every system and scenario was measured. Before each
 * measured run the runner waits up to --idle-wait seconds (default 30, 0 to skip) for the machine
 * to be mostly idle, as the queue benchmark does, so that other work on a shared machine distorts
 * fewer runs.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeMachine, nonNegative, positive, startMeasuringChild, waitForIdle } from "../harness.js";
import { databaseUrl, redactUrl } from "../queues/common.js";
import type { Request, Response } from "./measure.js";
import { renderSection, type ScenarioResult, type SystemRuns, writeSection } from "./report.js";
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from "./scenarios.js";
import { type MeasureSettings, SYSTEMS, type SystemSpec } from "./systems.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MEASURE = join(ROOT, "bench/states/measure.ts");
const DOCS = join(ROOT, "docs/benchmarks.md");
/** Executions of the unmeasured statement-count run, per scenario. */
const STATEMENT_RUN: Record<ScenarioName, number> = { chain: 200, map: 5, token: 200 };

export const DEFAULT_EXECUTIONS: Record<ScenarioName, number> = { chain: 1000, map: 20, token: 500 };

export async function main(args: string[], command: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      repetitions: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      chain: { type: "string", default: String(DEFAULT_EXECUTIONS.chain) },
      map: { type: "string", default: String(DEFAULT_EXECUTIONS.map) },
      token: { type: "string", default: String(DEFAULT_EXECUTIONS.token) },
      concurrency: { type: "string", default: "2" },
      consumers: { type: "string", default: "2" },
      scenarios: { type: "string" },
      systems: { type: "string" },
      "no-statements": { type: "boolean", default: false },
      "idle-wait": { type: "string", default: "30" },
      docs: { type: "boolean" },
      "no-docs": { type: "boolean", default: false },
    },
  });
  const repetitions = positive(values.repetitions, "--repetitions");
  const warmup = nonNegative(values.warmup, "--warmup");
  const executions: Record<ScenarioName, number> = {
    chain: positive(values.chain, "--chain"),
    map: positive(values.map, "--map"),
    token: positive(values.token, "--token"),
  };
  const settings: MeasureSettings = {
    concurrency: positive(values.concurrency, "--concurrency"),
    consumers: positive(values.consumers, "--consumers"),
  };
  const scenarios = values.scenarios
    ? values.scenarios.split(",").map((name) => {
        const trimmed = name.trim() as ScenarioName;
        if (!SCENARIO_NAMES.includes(trimmed))
          throw new Error(`Unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(", ")}`);
        return trimmed;
      })
    : [...SCENARIO_NAMES];
  const selected = values.systems
    ? values.systems.split(",").map((name) => {
        const spec = SYSTEMS.find((system) => system.name === name.trim());
        if (!spec)
          throw new Error(`Unknown system "${name}"; known: ${SYSTEMS.map((s) => s.name).join(", ")}`);
        return spec;
      })
    : [...SYSTEMS];
  const idleWaitSeconds = nonNegative(values["idle-wait"], "--idle-wait");
  const complete = selected.length === SYSTEMS.length && scenarios.length === SCENARIO_NAMES.length;
  const writeDocs = values["no-docs"] ? false : (values.docs ?? complete);

  const machine = await describeMachine();
  const loads: number[] = [];
  const busyBefore: number[] = [];
  const failures: string[] = [];
  const children = selected.map((spec) => ({
    spec,
    child: startChild(spec),
    failed: undefined as string | undefined,
  }));
  const results: ScenarioResult[] = [];
  const statements: Array<{
    system: string;
    scenario: ScenarioName;
    profile: NonNullable<Response["statements"]>;
  }> = [];
  let peer: { version: string; polyfilled: boolean } | undefined;
  const fail = (entry: (typeof children)[number], what: string, error: string | undefined) => {
    entry.failed = `${entry.spec.name}, ${what}: ${error ?? "unknown error"}`;
    failures.push(entry.failed);
  };
  try {
    for (const entry of children) {
      const response = await entry.child.request({ op: "open", settings });
      if (!response.ok) fail(entry, "open", response.error);
      else if (!entry.spec.durable && response.facts) {
        peer = { version: String(response.facts.version), polyfilled: response.facts.polyfilled === true };
      }
    }
    const live = () => children.filter((entry) => !entry.failed);
    for (const scenario of scenarios) {
      const count = executions[scenario];
      const runs = new Map<string, SystemRuns>(
        children.map((entry) => [
          entry.spec.name,
          { system: entry.spec.name, label: entry.spec.label, durable: entry.spec.durable, runs: [] },
        ]),
      );
      process.stderr.write(`\n== ${SCENARIOS[scenario].label}: ${count} executions per run; warm-up\n`);
      for (const entry of live()) {
        for (let round = 0; round < warmup; round++) {
          const response = await entry.child.request({ op: "run", scenario, executions: count });
          if (!response.ok) {
            fail(entry, `${scenario} warm-up`, response.error);
            break;
          }
        }
      }
      for (let round = 0; round < repetitions; round++) {
        process.stderr.write(`== ${scenario}: round ${round + 1}/${repetitions}\n`);
        for (const entry of rotate(live(), round)) {
          busyBefore.push(await waitForIdle(idleWaitSeconds));
          loads.push(loadavg()[0]!);
          const response = await entry.child.request({ op: "run", scenario, executions: count });
          if (response.ok && response.run) runs.get(entry.spec.name)!.runs.push(response.run);
          else fail(entry, `${scenario} run`, response.error);
        }
      }
      for (const entry of children) {
        if (entry.failed) runs.get(entry.spec.name)!.error = entry.failed;
      }
      results.push({ scenario, executions: count, systems: [...runs.values()] });
    }
    if (!values["no-statements"]) {
      for (const entry of live()) {
        if (!entry.spec.durable) continue;
        for (const scenario of scenarios) {
          const response = await entry.child.request({
            op: "statements",
            scenario,
            executions: STATEMENT_RUN[scenario],
          });
          if (response.ok && response.statements)
            statements.push({ system: entry.spec.name, scenario, profile: response.statements });
          else fail(entry, `${scenario} statements`, response.error);
        }
      }
    }
  } finally {
    for (const entry of children) await entry.child.close();
  }

  machine.load = loads.length > 0 ? [Math.min(...loads), Math.max(...loads)] : [0, 0];
  machine.busyBefore = busyBefore.length > 0 ? [Math.min(...busyBefore), Math.max(...busyBefore)] : [0, 0];
  machine.idleWaitSeconds = idleWaitSeconds;
  const section = renderSection({
    command,
    machine,
    repetitions,
    warmup,
    concurrency: settings.concurrency,
    consumers: settings.consumers,
    revision: describeRevision(),
    databaseUrl: redactUrl(databaseUrl()),
    scenarios: results,
    statements,
    peer,
    failures,
  });
  process.stdout.write(`\n${section}\n`);
  if (writeDocs) {
    writeSection(DOCS, section);
    process.stderr.write(`Wrote the "## States" section of ${DOCS}\n`);
  } else {
    process.stderr.write(
      "Not writing docs/benchmarks.md (a subset of systems or scenarios, or --no-docs).\n",
    );
  }
  if (failures.length > 0) process.exitCode = 1;
}

/** The commit measured, and whether the engine's code (src/states, src/queues, src/store) had uncommitted changes. */
function describeRevision(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    const dirty = git("status", "--porcelain", "--", "src/states", "src/queues", "src/store");
    return dirty ? `commit ${commit} plus uncommitted changes under src/` : `commit ${commit}`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length === 0) return items;
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A measuring process for one system, answering one request at a time. */
function startChild(spec: SystemSpec) {
  return startMeasuringChild<Request, Response>(MEASURE, spec.name, { cwd: ROOT });
}
