import { writeDocsSection } from "../docs-section.js";
import type { describeMachine } from "../harness.js";
import type { Backend, MappingRun } from "./protocol.js";

export const HEADING = "## Functions";

export interface FunctionsReport {
  command: string;
  commit: string;
  machine: Awaited<ReturnType<typeof describeMachine>>;
  postgresUrl: string;
  settings: {
    messages: number;
    batchSize: number;
    maximumConcurrency: number;
    repetitions: number;
    warmup: number;
  };
  runs: Array<{ backend: Backend; runs: MappingRun[] }>;
  failures: string[];
}

const LABELS: Record<Backend, string> = { sqlite: "Inflow, SQLite", postgres: "Inflow, PostgreSQL" };
const whole = (value: number) => Math.round(value).toLocaleString("en-US");

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function renderSection(report: FunctionsReport): string {
  const { machine, settings } = report;
  const rows = report.runs
    .filter((entry) => entry.runs.length > 0)
    .map(({ backend, runs }) => {
      const rates = runs.map((run) => run.messagesPerSecond);
      return `| ${LABELS[backend]} | ${whole(settings.messages)} | **${whole(median(rates))}** (${whole(Math.min(...rates))}–${whole(Math.max(...rates))}) | ${Math.max(...runs.map((run) => run.peakPollers))} | ${whole(median(runs.map((run) => run.cpuMicrosPerMessage)))} |`;
    });
  return [
    HEADING,
    "",
    "Messages per second through an event-source mapping (`src/functions/mapping-runner.ts`) to a function that does",
    `nothing, measured by \`bench/functions/\`: a queue is filled first (untimed), then mapped with BatchSize ${settings.batchSize}`,
    `and MaximumConcurrency ${settings.maximumConcurrency}, and timed from the mapping's creation until every message was handed to the`,
    "function and deleted. It measures what the mapping itself costs per message: long-poll receives, the SQS-shaped",
    "event, the registry's invocation (JSON copies, timeout), and the batch delete. Each backend runs in a process of its",
    `own, one at a time: ${settings.warmup} unmeasured run(s), then ${settings.repetitions} rounds, order rotating. **Median** shown, (min–max) after it.`,
    "",
    "| System | Messages per run | Messages/s | Peak concurrent batches | CPU µs per message (Inflow process) |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    "Reading it: on SQLite every receive and delete runs synchronously on the event loop, so pollers beyond the",
    "second find nothing to overlap and the mapping stays at one or two; on PostgreSQL each call is a round trip, so",
    "the mapping scales up to MaximumConcurrency and the throughput follows the database's commit rate. A no-op",
    "handler is the ceiling: a real function's own time adds to each batch, and more concurrency hides it.",
    "",
    `Measured on ${machine.date}, Inflow ${report.commit}: ${machine.cpus} CPUs (${machine.cpuModel}), Node.js ${machine.node},`,
    `SQLite ${machine.sqlite}, ${machine.postgres} at ${report.postgresUrl}, ${machine.platform}; load average ${machine.load[0].toFixed(2)}–${machine.load[1].toFixed(2)}`,
    `during runs, the machine ${Math.round(machine.busyBefore[0] * 100)}–${Math.round(machine.busyBefore[1] * 100)}% busy just before each run. Command: \`${report.command}\`.`,
    ...(report.failures.length > 0
      ? ["", "Failures:", ...report.failures.map((failure) => `- ${failure}`)]
      : []),
    "",
  ].join("\n");
}

/** Replaces this section of the benchmarks document (or appends it), leaving the others as they are. */
export function writeSection(file: string, section: string): void {
  writeDocsSection(file, HEADING, section);
}
