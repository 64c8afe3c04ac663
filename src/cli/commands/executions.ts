import type {
  DescribeExecutionOutput,
  ExecutionListItem,
  ExecutionStatus,
  HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type ApiOptions, sfnClient, withApiOptions, withClient } from "../api-client.js";
import { CliError } from "../errors.js";
import { alert, duration, table, time, truncate, write, writeJson } from "../output.js";

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"] as const;
const DEFAULT_LIMIT = 50;
/** ListExecutions' page size limit: the most one listing shows. */
const MAX_LIMIT = 1000;
/** ListStateMachines pages of 1,000; a listing stops after this many. */
const MAX_MACHINE_PAGES = 100;
/** Step Functions' history limit is 25,000 events: 25 pages of 1,000 hold any history. */
const MAX_HISTORY_PAGES = 25;
const DEFAULT_EVENTS_SHOWN = 40;
const MAX_EVENTS_SHOWN = 25_000;
/** How much of an input, output or cause `show` prints; --json has it all. */
const DATA_WIDTH = 300;
const DETAIL_WIDTH = 80;
const LABEL_WIDTH = "Execution".length + 2;
/** The event types of things going wrong: TaskFailed, LambdaFunctionTimedOut, ExecutionAborted, ... */
const FAILURE = /(Failed|TimedOut|Aborted)$/;

interface ListOptions extends ApiOptions {
  machine?: string;
  status?: ExecutionStatus;
  limit: number;
}

export function registerExecutions(program: Command): void {
  const executions = program
    .command("executions")
    .description(
      "Look at and redrive the workflow executions of a running Inflow (through its Step Functions API).",
    );

  withApiOptions(
    executions
      .command("ls")
      .description("List executions, newest first: of one state machine, or of all of them.")
      .option("--machine <name|arn>", "only executions of this state machine", parseMachine)
      .addOption(new Option("--status <status>", "only executions in this status").choices(STATUSES))
      .option(
        "--limit <n>",
        `show at most this many, 1 to ${MAX_LIMIT}`,
        parseCount(MAX_LIMIT),
        DEFAULT_LIMIT,
      ),
  ).action((options: ListOptions) => listExecutions(options));

  withApiOptions(
    executions
      .command("show")
      .description(
        "Show an execution: its status, input, output or error, and a summary of its history with the failures marked (!).",
      )
      .argument("<execution-arn>", "the execution's ARN (as `inflow executions ls` prints it)")
      .option(
        "--events <n>",
        `how many of the latest history events to list, 0 to ${MAX_EVENTS_SHOWN}; failures are always listed`,
        parseCount(MAX_EVENTS_SHOWN, 0),
        DEFAULT_EVENTS_SHOWN,
      ),
  ).action((arn: string, options: ApiOptions & { events: number }) => showExecution(arn, options));

  withApiOptions(
    executions
      .command("redrive")
      .description(
        "Restart a failed, timed out or aborted execution from the state that failed (Step Functions RedriveExecution), keeping what succeeded.",
      )
      .argument("<execution-arn>", "the execution's ARN"),
  ).action((arn: string, options: ApiOptions) => redriveExecution(arn, options));
}

function parseMachine(value: string): string {
  // Step Functions' limits: names of 1 to 80 characters, ARNs of at most 256.
  if (value.length < 1 || value.length > (value.startsWith("arn:") ? 256 : 80)) {
    throw new InvalidArgumentError(
      "expected a state machine name (1 to 80 characters) or ARN (at most 256).",
    );
  }
  return value;
}

function parseCount(max: number, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected ${min} to ${max}.`);
    return n;
  };
}

async function stateMachineArns(
  client: SFNClient,
  machine: string | undefined,
  endpoint: string,
): Promise<string[]> {
  if (machine?.startsWith("arn:")) return [machine];
  const { ListStateMachinesCommand } = await import("@aws-sdk/client-sfn");
  const machines: { name: string; arn: string; type?: string }[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_MACHINE_PAGES; page++) {
    const answer = await client.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken }));
    for (const { name, stateMachineArn, type } of answer.stateMachines ?? []) {
      machines.push({ name: name!, arn: stateMachineArn!, type });
    }
    nextToken = answer.nextToken;
    if (!nextToken) break;
  }
  // Express executions are not recorded, and ListExecutions refuses their machines.
  if (machine === undefined) return machines.filter((m) => m.type !== "EXPRESS").map((m) => m.arn);
  const found = machines.find((m) => m.name === machine);
  if (!found) {
    throw new CliError(
      `No state machine named '${machine}' at ${endpoint}. Its machines: ${machines.map((m) => m.name).join(", ") || "none"}.`,
    );
  }
  return [found.arn];
}

async function listExecutions(options: ListOptions): Promise<void> {
  const executions = await withClient(options.endpoint, sfnClient, async (client) => {
    const { ListExecutionsCommand } = await import("@aws-sdk/client-sfn");
    const found: ExecutionListItem[] = [];
    for (const stateMachineArn of await stateMachineArns(client, options.machine, options.endpoint)) {
      // Each machine's newest `limit` are enough to pick the newest `limit` of all.
      const { executions: page = [] } = await client.send(
        new ListExecutionsCommand({
          stateMachineArn,
          statusFilter: options.status,
          maxResults: options.limit,
        }),
      );
      found.push(...page);
    }
    return found
      .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))
      .slice(0, options.limit);
  });

  if (options.json) return writeJson(executions);
  if (executions.length === 0) return write("No executions.\n");
  const now = Date.now();
  await write(
    table(executions, [
      { header: "NAME", value: (e) => e.name ?? "" },
      { header: "MACHINE", value: (e) => machineName(e.stateMachineArn) },
      { header: "STATUS", value: (e) => e.status ?? "" },
      { header: "STARTED", value: (e) => time(e.startDate) },
      {
        header: "DURATION",
        value: (e) => duration((e.stopDate?.getTime() ?? now) - (e.startDate?.getTime() ?? now)),
        align: "right",
      },
      { header: "ARN", value: (e) => e.executionArn ?? "" },
    ]),
  );
}

const machineName = (arn: string | undefined) => arn?.split(":")[6] ?? "";

async function showExecution(arn: string, options: ApiOptions & { events: number }): Promise<void> {
  const { execution, events } = await withClient(options.endpoint, sfnClient, async (client) => {
    const { DescribeExecutionCommand, GetExecutionHistoryCommand } = await import("@aws-sdk/client-sfn");
    const { $metadata: _, ...execution } = await client.send(
      new DescribeExecutionCommand({ executionArn: arn }),
    );
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const answer = await client.send(
        new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, nextToken }),
      );
      events.push(...(answer.events ?? []));
      nextToken = answer.nextToken;
      if (!nextToken) break;
    }
    return { execution, events };
  });

  if (options.json) return writeJson({ execution, events });
  await write(describe(execution, events.length));
  const summary = summarize(events);
  const shown = options.events === 0 ? [] : summary.slice(-options.events);
  if (shown.length > 0) {
    const hidden = summary.length - shown.length;
    await write(`\nHistory${hidden > 0 ? ` (latest ${shown.length}; --events to see more)` : ""}\n`);
    const rendered = table(shown, [
      { header: "", value: (e) => (e.failure ? "!" : "") },
      { header: "ID", value: (e) => String(e.id), align: "right" },
      { header: "AFTER", value: (e) => duration(e.offsetMillis), align: "right" },
      { header: "TYPE", value: (e) => e.type },
      { header: "STATE", value: (e) => e.state ?? "" },
      { header: "DETAIL", value: (e) => truncate(e.detail, DETAIL_WIDTH) },
    ]);
    // Colour after layout, so escape codes do not count as width.
    const lines = rendered.trimEnd().split("\n");
    await write(
      `${lines.map((line, i) => (i > 0 && shown[i - 1]?.failure ? alert(line) : line)).join("\n")}\n`,
    );
  }
  const failures = summary.filter((event) => event.failure);
  if (failures.length > 0) {
    await write(`\n${alert(`Failures (${failures.length})`)}\n`);
    for (const event of failures) {
      await write(
        `${alert(`! #${event.id} ${event.type}${event.state ? ` in ${event.state}` : ""}`)}\n` +
          `    ${truncate(event.detail, DATA_WIDTH * 2)}\n`,
      );
    }
  }
}

function describe(execution: Omit<DescribeExecutionOutput, "$metadata">, eventCount: number): string {
  const stopped = execution.stopDate
    ? `${time(execution.stopDate)} (after ${duration(execution.stopDate.getTime() - (execution.startDate?.getTime() ?? 0))})`
    : undefined;
  const failed = execution.status !== "RUNNING" && execution.status !== "SUCCEEDED";
  const fields: [string, string | undefined][] = [
    ["Execution", execution.executionArn],
    ["Machine", machineName(execution.stateMachineArn)],
    ["Status", failed ? alert(execution.status ?? "") : execution.status],
    ["Started", time(execution.startDate)],
    ["Stopped", stopped],
    [
      "Redriven",
      execution.redriveCount
        ? `${execution.redriveCount} times, last ${time(execution.redriveDate)}`
        : undefined,
    ],
    [
      "Redrive",
      execution.redriveStatus === "REDRIVABLE" ? "possible: `inflow executions redrive ARN`" : undefined,
    ],
    ["Input", execution.input === undefined ? undefined : truncate(execution.input, DATA_WIDTH)],
    ["Output", execution.output === undefined ? undefined : truncate(execution.output, DATA_WIDTH)],
    ["Error", execution.error === undefined ? undefined : alert(execution.error)],
    [
      "Cause",
      execution.cause === undefined ? undefined : truncate(readableCause(execution.cause), DATA_WIDTH),
    ],
    ["Events", String(eventCount)],
  ];
  return fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([label, value]) => `${label.padEnd(LABEL_WIDTH)}${value}\n`)
    .join("");
}

interface EventSummary {
  id: number;
  offsetMillis: number;
  type: string;
  state?: string;
  detail: string;
  failure: boolean;
}

/**
 * One line per event: when it happened after the start, the state it belongs to (only the
 * state's Entered and Exited events name it; the events between follow from `previousEventId`),
 * and for failures the error and cause.
 */
function summarize(events: readonly HistoryEvent[]): EventSummary[] {
  const start = events[0]?.timestamp?.getTime() ?? 0;
  const stateOf = new Map<number, string>();
  return events.map((event) => {
    const id = event.id ?? 0;
    const named =
      event.stateEnteredEventDetails?.name ??
      event.stateExitedEventDetails?.name ??
      (event.previousEventId === undefined ? undefined : stateOf.get(event.previousEventId));
    // An exit closes the state: what follows it belongs to the next one.
    if (named !== undefined && !event.stateExitedEventDetails) stateOf.set(id, named);
    const type = event.type ?? "";
    const failure = FAILURE.test(type);
    const { error, cause } = failureDetails(event);
    return {
      id,
      offsetMillis: (event.timestamp?.getTime() ?? start) - start,
      type,
      state: named,
      detail: failure ? [error, cause && readableCause(cause)].filter(Boolean).join(": ") : "",
      failure,
    };
  });
}

/** The error and cause a failure event carries, in whichever `...EventDetails` member its type uses. */
function failureDetails(event: HistoryEvent): { error?: string; cause?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (
      key.endsWith("EventDetails") &&
      value &&
      typeof value === "object" &&
      ("error" in value || "cause" in value)
    ) {
      return value as { error?: string; cause?: string };
    }
  }
  return {};
}

/** A function's error report (the cause of Lambda failures) reads best as its message; other causes as they are. */
function readableCause(cause: string): string {
  if (!cause.startsWith("{")) return cause;
  try {
    const report = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof report.errorMessage === "string" ? report.errorMessage : cause;
  } catch {
    return cause;
  }
}

async function redriveExecution(arn: string, options: ApiOptions): Promise<void> {
  const redriveDate = await withClient(options.endpoint, sfnClient, async (client) => {
    const { RedriveExecutionCommand } = await import("@aws-sdk/client-sfn");
    const answer = await client.send(new RedriveExecutionCommand({ executionArn: arn }));
    return answer.redriveDate;
  });
  if (options.json) return writeJson({ executionArn: arn, redriveDate });
  await write(
    `Redriven at ${time(redriveDate)}: the execution continues from the state that failed.\n` +
      `Follow it with \`inflow executions show ${arn}\`\n`,
  );
}
