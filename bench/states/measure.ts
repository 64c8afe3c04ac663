/**
 * Measures one system in this process: bench/states/run.ts starts one such process per system
 * and sends it requests, one JSON object per line on stdin, each answered by one JSON line on
 * stdout (logs go to stderr):
 *
 *   {"op":"open","settings":{...}}                          -> {"ok":true,"facts":{...}}
 *   {"op":"run","scenario":"chain","executions":N}          -> {"ok":true,"run":ScenarioRun}
 *   {"op":"statements","scenario":"map","executions":N}     -> {"ok":true,"statements":{...}}
 *   {"op":"close"}                                          -> {"ok":true}, then the process exits
 *
 * Only one process measures at any time; the others wait for their turn, idle. "statements"
 * patches the database client to count what it sends, so it comes after every measured run.
 */
import { answerRequests } from "../harness.js";
import { backendCpuSpent, postgresBackendCpu } from "../queues/common.js";
import type { ScenarioName } from "./scenarios.js";
import { type StatementTally, snapshot, tallyPostgres, tallySince, tallySqlite } from "./statements.js";
import { BENCH_SQL, type ScenarioRun, type WorkflowDriver } from "./system.js";
import { type MeasureSettings, systemNamed } from "./systems.js";

export interface StatementProfile {
  executions: number;
  /** Statements per execution, BEGIN/COMMIT included. */
  perExecution: number;
  /** Transactions (COMMITs) per execution. */
  transactionsPerExecution: number;
  perTransition: number;
  top: Array<{ text: string; perExecution: number; microsEach?: number }>;
  /** SQLite: how long COMMITs took over the run, against its wall time. */
  commits?: {
    count: number;
    p50Micros: number;
    p99Micros: number;
    totalMillis: number;
    over1msMillis: number;
  };
  millis: number;
}

export type Request =
  | { op: "open"; settings: MeasureSettings }
  | { op: "run"; scenario: ScenarioName; executions: number }
  | { op: "statements"; scenario: ScenarioName; executions: number }
  | { op: "close" };

export interface Response {
  ok: boolean;
  error?: string;
  run?: ScenarioRun;
  statements?: StatementProfile;
  facts?: Record<string, string | boolean>;
}

const spec = systemNamed(process.argv[2] ?? "");
// Tags this system's PostgreSQL connections so that their backends' CPU time can be read.
const applicationName = `bench_${spec.name.replaceAll("-", "_")}`;
process.env.BENCH_APPLICATION_NAME = applicationName;
const log = (line: string) => process.stderr.write(`[${spec.name}] ${line}\n`);
let driver: WorkflowDriver | undefined;
let tally: StatementTally | undefined;

async function measured(scenario: ScenarioName, executions: number): Promise<ScenarioRun> {
  const postgresBefore = spec.backend === "postgres" ? await postgresBackendCpu(applicationName) : undefined;
  const cpuBefore = process.cpuUsage();
  const run = await driver!.run(scenario, executions);
  const cpu = process.cpuUsage(cpuBefore);
  run.cpuPerTransition = (cpu.user + cpu.system) / run.transitions;
  if (postgresBefore) {
    const postgresAfter = await postgresBackendCpu(applicationName);
    if (postgresAfter)
      run.postgresCpuPerTransition = backendCpuSpent(postgresBefore, postgresAfter) / run.transitions;
  }
  return run;
}

async function handle(request: Request): Promise<Response> {
  switch (request.op) {
    case "open": {
      const opened = await spec.open(request.settings);
      driver = opened.driver;
      return { ok: true, facts: opened.facts };
    }
    case "run": {
      const run = await measured(request.scenario, request.executions);
      await driver!.housekeeping();
      log(
        `${request.scenario} x${request.executions}: ${Math.round(run.transitionsPerSecond)} transitions/s in ${Math.round(run.millis)} ms`,
      );
      return { ok: true, run };
    }
    case "statements": {
      if (spec.backend === "none") return { ok: false, error: "no database" };
      tally ??= spec.backend === "sqlite" ? tallySqlite() : tallyPostgres();
      const before = snapshot(tally.texts);
      tally.commits.length = 0;
      const run = await driver!.run(request.scenario, request.executions);
      const commitTimes = [...tally.commits].sort((a, b) => a - b);
      const spent = tallySince(before, tally.texts);
      await driver!.housekeeping();
      const executions = request.executions;
      let total = 0;
      let commits = 0;
      let groupedTransactions = 0;
      for (const text of spent.keys()) if (text.startsWith(BENCH_SQL)) spent.delete(text);
      for (const [text, entry] of spent) {
        total += entry.count;
        if (text === "COMMIT") commits += entry.count;
        // SQLite's group commit opens a savepoint per transaction and shares the COMMIT.
        if (text === "SAVEPOINT inflow_tx") groupedTransactions += entry.count;
      }
      const at = (q: number) => (commitTimes[Math.floor(q * (commitTimes.length - 1))] ?? 0) * 1000;
      const statements: StatementProfile = {
        executions,
        millis: run.millis,
        ...(commitTimes.length > 0
          ? {
              commits: {
                count: commitTimes.length,
                p50Micros: at(0.5),
                p99Micros: at(0.99),
                totalMillis: commitTimes.reduce((a, b) => a + b, 0),
                over1msMillis: commitTimes.filter((t) => t > 1).reduce((a, b) => a + b, 0),
              },
            }
          : {}),
        perExecution: total / executions,
        transactionsPerExecution: (groupedTransactions || commits) / executions,
        perTransition: total / run.transitions,
        top: [...spent]
          .sort((a, b) => b[1].count - a[1].count)
          .map(([text, entry]) => ({
            text,
            perExecution: entry.count / executions,
            ...(Number.isFinite(entry.millis) ? { microsEach: (entry.millis * 1000) / entry.count } : {}),
          })),
      };
      log(`${request.scenario}: ${statements.perExecution.toFixed(1)} statements per execution`);
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
