import { writeDocsSection } from "../docs-section.js";
import { type CycleRun, median } from "./common.js";
import type { StatementCount } from "./measure.js";

export const TARGET_SQLITE_PER_SECOND = 20_000;

export interface LevelResult {
  loops: number;
  runs: CycleRun[];
  medianPerSecond: number;
}

export interface SystemResult {
  system: string;
  label: string;
  backend: string;
  transport: string;
  server?: { via: string; command: string };
  levels: LevelResult[];
  statements?: StatementCount;
  error?: string;
}

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
  /** Share of the CPUs busy (other work) in the second before each measured run: min and max. */
  busyBefore: [number, number];
  /** How long the runner waited at most, per run, for that share to drop below 25 %. */
  idleWaitSeconds: number;
}

export interface ReportInput {
  command: string;
  /** The Inflow code measured: commit, and whether the queue or store code had uncommitted changes. */
  revision: string;
  machine: Machine;
  messages: number;
  warmup: number;
  repetitions: number;
  loops: number[];
  databaseUrl: string;
  results: SystemResult[];
}

const format = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? "n/a" : Math.round(value).toLocaleString("en-US");
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "n/a" : `${(a / b).toFixed(2)}x`;

function medianAt(result: SystemResult | undefined, loops: number): number | undefined {
  return result?.levels.find((level) => level.loops === loops)?.medianPerSecond;
}

function spread(result: SystemResult, loops: number): string {
  const level = result.levels.find((l) => l.loops === loops);
  if (!level || level.runs.length === 0) return "";
  const rates = level.runs.map((run) => run.perSecond);
  return ` (${format(Math.min(...rates))}–${format(Math.max(...rates))})`;
}

function meanCall(result: SystemResult, loops: number, kind: "send" | "receive" | "ack"): string {
  const level = result.levels.find((l) => l.loops === loops);
  if (!level) return "n/a";
  let calls = 0;
  let millis = 0;
  for (const run of level.runs) {
    calls += run.calls[kind].calls;
    millis += run.calls[kind].millis;
  }
  return calls === 0 ? "n/a" : (millis / calls).toFixed(2);
}

export function renderSection(input: ReportInput): string {
  const { results, loops, machine } = input;
  const byName = new Map(results.map((result) => [result.system, result]));
  const lines: string[] = [];
  lines.push("## Queues", "");
  lines.push(
    "Messages per second through the cycle **SendMessageBatch (10) → ReceiveMessage (MaxNumberOfMessages 10) → DeleteMessageBatch (10)**,",
    "or each peer's equivalent, measured by `bench/queues/`. Each system lives in a process of its own with its own schema",
    "(PostgreSQL) or temp directory (SQLite), and only one system works at any moment: per concurrency level every system",
    `warms up (${format(input.warmup)} messages), then ${input.repetitions} rounds each run one repetition of every system in turn`,
    `(${format(input.messages)} messages per repetition, order rotating by round). **Median** msg/s shown, (min–max) after it.`,
    `"1 loop" is one client running the cycle back to back; "${loops.filter((l) => l > 1).join("/")} loops" are that many`,
    "concurrent client loops in one process sharing the system's connection pool (10 connections for every system).",
    "",
  );

  const header = [
    "System",
    ...loops.map((l) => `${l} loop${l === 1 ? "" : "s"}, msg/s`),
    "SQL statements per cycle",
  ];
  lines.push(
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  );
  for (const result of results) {
    const cells = [
      result.label,
      ...loops.map((l) =>
        result.error && !result.levels.some((level) => level.loops === l)
          ? "failed"
          : `${format(medianAt(result, l))}${spread(result, l)}`,
      ),
      result.statements ? result.statements.perCycle.toFixed(1) : "",
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");

  // Targets.
  lines.push("### Targets", "");
  const inflowPg = byName.get("inflow-postgres");
  const sqlite = byName.get("inflow-sqlite");
  const peers = ["pg-boss", "graphile-worker"].map((name) => byName.get(name));
  lines.push(
    "| Target | Loops | Inflow | Reference | Ratio | Met |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  );
  for (const l of loops) {
    const value = medianAt(sqlite, l);
    lines.push(
      `| Inflow SQLite in-process ≥ ${format(TARGET_SQLITE_PER_SECOND)} msg/s | ${l} | ${format(value)} | ${format(TARGET_SQLITE_PER_SECOND)} | ${ratio(value, TARGET_SQLITE_PER_SECOND)} | ${value !== undefined && value >= TARGET_SQLITE_PER_SECOND ? "yes" : "**no**"} |`,
    );
  }
  for (const l of loops) {
    const value = medianAt(inflowPg, l);
    const best = peers
      .map((peer) => ({ peer, rate: medianAt(peer, l) }))
      .filter((entry): entry is { peer: SystemResult; rate: number } => entry.rate !== undefined)
      .sort((a, b) => b.rate - a.rate)[0];
    lines.push(
      `| Inflow PostgreSQL ≥ faster of pg-boss / graphile-worker | ${l} | ${format(value)} | ${best ? `${format(best.rate)} (${best.peer.system})` : "n/a"} | ${ratio(value, best?.rate)} | ${value !== undefined && best && value >= best.rate ? "yes" : "**no**"} |`,
    );
  }
  lines.push("");

  // Where the time goes per call.
  lines.push(
    "### Mean latency per call, ms",
    "",
    "Wall time of one batch call as the client sees it, averaged over all measured repetitions.",
    "",
  );
  const callHeader = ["System", ...loops.flatMap((l) => [`send (${l})`, `receive (${l})`, `ack (${l})`])];
  lines.push(
    `| ${callHeader.join(" | ")} |`,
    `| ${callHeader.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  );
  for (const result of results) {
    const cells = [
      result.system,
      ...loops.flatMap((l) => [
        meanCall(result, l, "send"),
        meanCall(result, l, "receive"),
        meanCall(result, l, "ack"),
      ]),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");

  // CPU cost per message: steadier than msg/s when the machine is shared.
  lines.push(
    "### CPU time per message, µs",
    "",
    "CPU time (user + system) spent per message during the measured repetitions (median), by process: the benchmark",
    "process (client loops, and the system itself when in-process), the HTTP server process, and the PostgreSQL backends",
    "of the system's own connections (told apart by `application_name`, read from `/proc`). It moves far less than msg/s",
    "when other work shares the machine, so it is the steadier comparison of how much work each system does per message.",
    "",
  );
  const cpuHeader = [
    "System",
    ...loops.flatMap((l) => [`client (${l})`, `server (${l})`, `PostgreSQL (${l})`, `total (${l})`]),
  ];
  lines.push(
    `| ${cpuHeader.join(" | ")} |`,
    `| ${cpuHeader.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  );
  for (const result of results) {
    const cells = [result.system];
    for (const l of loops) {
      const runs = result.levels.find((level) => level.loops === l)?.runs ?? [];
      const pick = (part: "client" | "server" | "postgres") => {
        const values = runs.map((run) => run.cpu?.[part]).filter((v): v is number => v !== undefined);
        return values.length > 0 ? median(values) : undefined;
      };
      const [client, server, postgres] = [pick("client"), pick("server"), pick("postgres")];
      const total = client === undefined ? undefined : client + (server ?? 0) + (postgres ?? 0);
      const show = (value: number | undefined) => (value === undefined ? "–" : value.toFixed(0));
      cells.push(show(client), show(server), show(postgres), show(total));
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");

  const statementsOf = results.filter((result) => result.statements);
  if (statementsOf.length > 0) {
    lines.push(
      "### SQL statements per cycle (in-process PostgreSQL systems)",
      "",
      "Counted on the `pg` client over an extra, unmeasured run of 1,000 messages with 1 loop; each statement is one round trip.",
      "",
    );
    for (const result of statementsOf) {
      lines.push(`- **${result.system}**: ${result.statements!.perCycle.toFixed(2)} per cycle`);
      for (const entry of result.statements!.top.filter((e) => e.perCycle >= 0.5)) {
        lines.push(`  - ${entry.perCycle.toFixed(2)} × \`${entry.text.replaceAll("`", "'")}\``);
      }
    }
    lines.push("");
  }

  const failures = results.filter((result) => result.error);
  if (failures.length > 0) {
    lines.push("### Failures", "");
    for (const result of failures) lines.push(`- ${result.system}: ${result.error!.split("\n")[0]}`);
    lines.push("");
  }

  lines.push("### How the systems were driven", "");
  lines.push(
    "- **Inflow in-process**: `createQueues(openStore(...))`, `sendMessageBatch` / `receiveMessage` (`waitTimeSeconds: 0`) / `deleteMessageBatch` on a standard queue with default attributes; background work off.",
    `- **Inflow HTTP**: a separate server process (\`${serverCommand(results)}\`), driven by \`@aws-sdk/client-sqs\` (keep-alive agent, default MD5 checks) with \`SendMessageBatchCommand\` / \`ReceiveMessageCommand\` (\`WaitTimeSeconds: 0\`) / \`DeleteMessageBatchCommand\`.`,
    "- **pg-boss 10**: `insert([10 jobs])`, `fetch(name, { batchSize: 10 })`, `complete(name, ids)`; `supervise: false, schedule: false` (no maintenance timers, as Inflow's background work is off).",
    "- **graphile-worker 0.17**: `addJobs([10 specs])` (the `add_jobs` SQL function), then the exact statements its worker issues to take and to complete jobs (`batchGetJobs` with batch size 10 and `batchCompleteJobs`, copied from its `dist/sql/`, as named prepared statements like it does). 0.17 has no `get_job(s)` SQL function, and its runner's speed is a matter of runner settings (concurrency, local queue, poll interval), so its statements are driven directly with the same client loops as everyone else.",
    "- Payload: a ~70-byte JSON object. Every repetition ends with a check that the queue is empty. Between repetitions every PostgreSQL system's tables get `VACUUM ANALYZE` (the same for all).",
    "",
  );

  lines.push(
    "Where Inflow's time goes, statement by statement, and what changing it did: `bench/queues/PROFILING.md`.",
    "",
  );
  lines.push("### Reproduce", "", "```sh", input.command, "```", "");
  lines.push(
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.platform}, Node.js ${machine.node}, PostgreSQL ${machine.postgres} (same machine, \`${input.databaseUrl}\`, default settings: fsync and synchronous_commit on), SQLite ${machine.sqlite}. Date: ${machine.date}.`,
    `Inflow code measured: ${input.revision}.`,
    `Other work on the machine: before each measured run the runner waited up to ${machine.idleWaitSeconds} s for the CPUs to be under 25 % busy; busy share in the second before the runs: ${(machine.busyBefore[0] * 100).toFixed(0)}–${(machine.busyBefore[1] * 100).toFixed(0)} %; 1-minute load average at their start: ${machine.load[0].toFixed(1)}–${machine.load[1].toFixed(1)}${machine.load[1] > machine.cpus ? ` (above ${machine.cpus}: other work shared the machine during some runs, so single runs vary; the CPU time per message is the steadier figure)` : ""}.`,
    "",
  );
  return lines.join("\n");
}

/** The server command line with this run's port and directories replaced by placeholders. */
function serverCommand(results: SystemResult[]): string {
  const command = results.find((result) => result.server)?.server?.command;
  if (!command) return "inflow serve";
  return command
    .replace(/--port \d+/, "--port <free port>")
    .replace(
      / --(data|database) \S+/,
      " (--data <temp dir> | --database <url>?schema=bench_queues_http_<run tag>)",
    );
}

/** Replaces the `## Queues` section of the file (or appends it), leaving every other section as it is. */
export function writeSection(file: string, section: string): void {
  writeDocsSection(file, "## Queues", section);
}
