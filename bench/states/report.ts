import { writeDocsSection } from "../docs-section.js";
import { median } from "../queues/common.js";
import type { StatementProfile } from "./measure.js";
import { SCENARIOS, type ScenarioName } from "./scenarios.js";
import type { ScenarioRun } from "./system.js";

export const HEADING = "## States";
/** Issue 4's target for Inflow on SQLite, in durable transitions per second. */
export const TARGET_SQLITE = 5_000;
/** AWS Step Functions Standard: the default state-transition quota (refill rate) in the largest regions. */
export const AWS_STANDARD_QUOTA = 1_500;

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  node: string;
  postgres: string;
  sqlite: string;
  platform: string;
  /** The 1-minute load average seen at the start of each measured run: min and max. */
  load: [number, number];
  /** The share of CPUs busy (or in I/O wait) just before each measured run: min and max. */
  busyBefore: [number, number];
  /** How long the runner waited at most for an idle machine before each run. */
  idleWaitSeconds: number;
}

export interface SystemRuns {
  system: string;
  label: string;
  durable: boolean;
  runs: ScenarioRun[];
  error?: string;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  executions: number;
  systems: SystemRuns[];
}

export interface ReportInput {
  command: string;
  machine: Machine;
  repetitions: number;
  warmup: number;
  concurrency: number;
  consumers: number;
  /** The Inflow commit measured. */
  revision: string;
  databaseUrl: string;
  scenarios: ScenarioResult[];
  statements: Array<{ system: string; scenario: ScenarioName; profile: StatementProfile }>;
  peer?: { version: string; polyfilled: boolean } | undefined;
  failures: string[];
}

const whole = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? "n/a" : Math.round(value).toLocaleString("en-US");
const fixed = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits);

function medianOf(runs: ScenarioRun[], pick: (run: ScenarioRun) => number | undefined): number | undefined {
  const values = runs.map(pick).filter((value): value is number => value !== undefined);
  return values.length > 0 ? median(values) : undefined;
}

function rate(runs: ScenarioRun[], pick: (run: ScenarioRun) => number): string {
  if (runs.length === 0) return "n/a";
  const values = runs.map(pick);
  return `**${whole(median(values))}** (${whole(Math.min(...values))}–${whole(Math.max(...values))})`;
}

export function renderSection(input: ReportInput): string {
  const { machine } = input;
  const lines: string[] = [];
  lines.push(HEADING, "");
  lines.push(
    "Durable state transitions per second of Inflow's workflow engine on SQLite and PostgreSQL, with",
    "[aws-local-stepfunctions](https://www.npmjs.com/package/aws-local-stepfunctions) (in memory, **not durable**) as the peer on the",
    "same definitions in the same run, measured by `bench/states/`. Transitions are counted as AWS bills them: one per state",
    "entered, the states inside Map iterations included; each system's count is checked (Inflow: `*StateEntered` events in",
    "its history; the peer: `StateEntered` in its event log) and every output is checked. A run starts all its executions",
    "at once and is timed from the first start to the last end. Each system runs in a process of its own, one system at",
    `a time: per scenario every system warms up (${input.warmup} unmeasured run${input.warmup === 1 ? "" : "s"}), then ${input.repetitions} rounds each run one repetition`,
    "of every system in turn (order rotating by round). **Median** shown, (min–max) after it.",
    "",
  );

  lines.push(
    "| Scenario | System | Executions × transitions | Transitions/s | Round trips/s | × peer | CPU µs per transition (process + PostgreSQL) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const result of input.scenarios) {
    const scenario = SCENARIOS[result.scenario];
    const peer = result.systems.find((system) => !system.durable);
    const peerRate = peer ? medianOf(peer.runs, (run) => run.transitionsPerSecond) : undefined;
    for (const system of result.systems) {
      const runs = system.runs;
      const own = medianOf(runs, (run) => run.transitionsPerSecond);
      const cpu = medianOf(runs, (run) => run.cpuPerTransition);
      const postgres = medianOf(runs, (run) => run.postgresCpuPerTransition);
      const cells = [
        scenario.label,
        system.label,
        `${whole(result.executions)} × ${scenario.transitions}`,
        system.error && runs.length === 0 ? "failed" : rate(runs, (run) => run.transitionsPerSecond),
        scenario.roundTrips > 0 && runs.length > 0 ? rate(runs, (run) => run.roundTripsPerSecond) : "",
        system.durable && own !== undefined && peerRate ? `${(own / peerRate).toFixed(2)}×` : "",
        cpu === undefined
          ? ""
          : postgres === undefined
            ? fixed(cpu, 0)
            : `${fixed(cpu, 0)} + ${fixed(postgres, 0)}`,
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  lines.push("");

  lines.push("### Target", "");
  lines.push(
    `Issue 4: ≥ ${whole(TARGET_SQLITE)} durable transitions/s on SQLite on this ${machine.cpus}-core machine, over three times AWS Step`,
    `Functions' default Standard quota (${whole(AWS_STANDARD_QUOTA)} transitions/s in the largest regions).`,
    "",
    "| Scenario | Inflow SQLite | Inflow PostgreSQL | × AWS quota (SQLite) | ≥ 5,000 on SQLite |",
    "| --- | ---: | ---: | ---: | --- |",
  );
  for (const result of input.scenarios) {
    const pick = (name: string) => {
      const system = result.systems.find((entry) => entry.system === name);
      return system ? medianOf(system.runs, (run) => run.transitionsPerSecond) : undefined;
    };
    const sqlite = pick("inflow-sqlite");
    const postgres = pick("inflow-postgres");
    lines.push(
      `| ${SCENARIOS[result.scenario].label} | ${whole(sqlite)} | ${whole(postgres)} | ${sqlite === undefined ? "n/a" : `${(sqlite / AWS_STANDARD_QUOTA).toFixed(1)}×`} | ${sqlite === undefined ? "n/a" : sqlite >= TARGET_SQLITE ? "yes" : "**no**"} |`,
    );
  }
  lines.push("");

  if (input.statements.length > 0) {
    lines.push(
      "### Where Inflow's time goes",
      "",
      "SQL statements and transactions per execution, counted on the database client over one extra, unmeasured run per",
      `scenario (${input.statements.length > 0 ? statementRunSizes(input) : ""}; BEGIN and COMMIT included; the benchmark's own progress polls and`,
      "checks left out). States that finish at once run in the transaction that reached them: a chain runs inside",
      "StartExecution's, a Map's short iterations inside the step that started them, the states after a task inside",
      "SendTaskSuccess's. On SQLite, transactions that wait for the connection share one COMMIT (group commit), so a",
      "transaction here is a logical one and COMMITs are counted apart.",
      "",
      "| Scenario | Backend | Statements per execution | Transactions per execution | Statements per transition |",
      "| --- | --- | ---: | ---: | ---: |",
    );
    for (const { system, scenario, profile } of input.statements) {
      lines.push(
        `| ${SCENARIOS[scenario].label} | ${system} | ${fixed(profile.perExecution)} | ${fixed(profile.transactionsPerExecution)} | ${fixed(profile.perTransition, 2)} |`,
      );
    }
    lines.push("");
    const sqliteProfiles = input.statements.filter((entry) => entry.profile.commits);
    if (sqliteProfiles.length > 0) {
      lines.push(
        "SQLite COMMITs (WAL, `synchronous=NORMAL`) in those same runs, timed around each call. WAL checkpoints run on a",
        "thread of their own (a second connection), not inside a COMMIT on the event loop.",
        "",
        "| Scenario | COMMITs | p50 µs | p99 µs | COMMIT time, share of the run's wall time | share of COMMIT time in commits over 1 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
      );
      for (const { scenario, profile } of sqliteProfiles) {
        const commits = profile.commits!;
        lines.push(
          `| ${SCENARIOS[scenario].label} | ${whole(commits.count)} | ${whole(commits.p50Micros)} | ${whole(commits.p99Micros)} | ${fixed((100 * commits.totalMillis) / profile.millis, 0)}% | ${fixed((100 * commits.over1msMillis) / commits.totalMillis, 0)}% |`,
        );
      }
      lines.push("");
    }
    lines.push("<details><summary>Statements per execution, by text</summary>", "");
    for (const { system, scenario, profile } of input.statements) {
      lines.push(`**${SCENARIOS[scenario].label}, ${system}**`, "");
      for (const entry of profile.top.filter((e) => e.perExecution >= 0.05).slice(0, 24)) {
        const each = entry.microsEach === undefined ? "" : ` (${whole(entry.microsEach)} µs each)`;
        lines.push(`- ${fixed(entry.perExecution, 2)} × \`${entry.text.replaceAll("`", "'")}\`${each}`);
      }
      lines.push("");
    }
    lines.push("</details>", "");
  }

  if (input.failures.length > 0) {
    lines.push("### Failures", "");
    for (const failure of input.failures) lines.push(`- ${failure.split("\n")[0]}`);
    lines.push("");
  }

  lines.push("### How the systems were driven", "");
  lines.push(
    `- **Inflow**: \`createStates(store, createQueues(store), { concurrency: ${input.concurrency} })\` with its own step workers (\`startWorkers()\`), in the measuring process, on \`openStore({ dataDir })\` (SQLite in a temp directory) or \`openStore({ databaseUrl, schema })\` (PostgreSQL, a schema of its own, created and dropped). Executions are started with \`executions.start\`, all at once; the end is seen by polling one COUNT of RUNNING executions every 5 ms. PostgreSQL tables get \`VACUUM ANALYZE\` between repetitions.`,
    `- **(c) on Inflow**: the Task is \`arn:aws:states:::sqs:sendMessage.waitForTaskToken\` to an Inflow queue; ${input.consumers} consumer loop${input.consumers === 1 ? "" : "s"} in the same process receive batches of 10 (\`receiveMessage\`, long polling), answer each message with \`tasks.sendSuccess(token, output)\` and delete the batch (\`deleteMessageBatch\`). A round trip: the task's message is sent, received, answered, and the execution goes on.`,
    `- **aws-local-stepfunctions${input.peer ? ` ${input.peer.version}` : ""}**: \`new StateMachine(definition)\` once per scenario, then \`run(input).result\` for every execution at once. It keeps everything in memory: nothing survives a crash, and nothing is written anywhere. For (c) the Task is replaced by its \`taskResourceLocalHandlers\` override, so the "round trip" is an in-memory function call that answers at once (no queue, no consumer), and \`$$.Task.Token\` comes from a mocked context object.`,
  );
  if (input.peer?.polyfilled) {
    lines.push(
      `- **The peer on Node ${machine.node}**: aws-local-stepfunctions ${input.peer.version} declares \`"engines": { "node": ">=22.0.0" }\` and npm warns (EBADENGINE) but installs it. Pass, Choice and Map run on Node 20 as published. Its Task state calls \`Promise.withResolvers\` (ES2024, in V8 from Node 22), which Node 20 lacks: unpatched, every Task fails with \`Promise.withResolvers is not a function\`. The benchmark installs the standard polyfill of that one function (\`bench/states/peer.ts\`) in the peer's process only; nothing else is changed.`,
    );
  }
  lines.push(
    "- Definitions (`bench/states/scenarios.ts`), the same JSON for every system: (a) Choice, Pass, Choice, Pass ... (5 each), JSONPath, small input; (b) one Map state, `ItemsPath` over 100 items, `MaxConcurrency` 10, each iteration Pass (Parameters) → Choice → Succeed; (c) Pass → Task (`.waitForTaskToken`) → Pass.",
    "",
  );

  lines.push("### Reproduce", "", "```sh", input.command, "```", "");
  lines.push(
    `Inflow code measured: ${input.revision}. aws-local-stepfunctions ${input.peer?.version ?? "n/a"} from npm (devDependency).`,
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.platform}, Node.js ${machine.node}, PostgreSQL ${machine.postgres} (same machine, \`${input.databaseUrl}\`, default settings: fsync and synchronous_commit on), SQLite ${machine.sqlite} (WAL, \`synchronous=NORMAL\`). Date: ${machine.date}.`,
    `Before each measured run the runner waited up to ${machine.idleWaitSeconds} s for under 25 % of the CPUs to be busy; the busy share seen then: ${Math.round(machine.busyBefore[0] * 100)}–${Math.round(machine.busyBefore[1] * 100)} %.`,
    `1-minute load average at the start of the measured runs: ${machine.load[0].toFixed(1)}–${machine.load[1].toFixed(1)}${machine.load[1] > machine.cpus ? ` (above ${machine.cpus}: other work shared the machine, so absolute rates carry noise; CPU µs per transition is steadier)` : ""}.`,
    "",
  );
  return lines.join("\n");
}

function statementRunSizes(input: ReportInput): string {
  const sizes = new Map<ScenarioName, number>();
  for (const { scenario, profile } of input.statements) sizes.set(scenario, profile.executions);
  return [...sizes]
    .map(([scenario, executions]) => `${scenario}: ${whole(executions)} executions`)
    .join(", ");
}

/** Replaces the `## States` section of the file (or appends it), leaving every other section as it is. */
export function writeSection(file: string, section: string): void {
  writeDocsSection(file, HEADING, section);
}
