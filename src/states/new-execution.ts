import type { TransactionalQueues } from "../queues/types.js";
import type { Queryable } from "../store/types.js";
import { appendEvents, type EventLog } from "./history.js";
import type { StateMachine } from "./machines.js";
import { insertRun, type Run } from "./runs.js";
import { sendStatusEvent } from "./status-events.js";
import type { ExecutionInfo } from "./step.js";
import { sendStep } from "./steps-queue.js";

/**
 * Writes a new execution: its row, ExecutionStarted, the first run and its first step, in the
 * caller's transaction (a `states:startExecution` task starts one inside its own step). With
 * `firstStep: "caller"` the first step is left to the caller, which takes it in the same
 * transaction.
 */
export async function insertExecution(
  tx: Queryable,
  queues: TransactionalQueues,
  input: {
    arn: string;
    name: string;
    machine: Pick<
      StateMachine,
      "id" | "name" | "arn" | "type" | "roleArn" | "definition" | "definitionText" | "statusQueue"
    >;
    text: string;
    parsed: unknown;
    now: number;
    parent?: { runId: number; version: number };
    firstStep?: "queued" | "caller";
    history?: EventLog;
    /** An iteration of a Distributed Map: its map run, and the variables it sees. */
    mapRun?: { id: number; variables: Record<string, unknown> };
  },
): Promise<{ execution: ExecutionInfo; root: Run }> {
  const { machine, now } = input;
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO executions (arn, name, state_machine_id, definition, status, input, started_at, parent_run_id,
       parent_run_version, map_run_id)
     VALUES ($1, $2, $3, $4, 'RUNNING', $5, $6, $7, $8, $9) RETURNING id`,
    [
      input.arn,
      input.name,
      machine.id,
      machine.definitionText,
      input.text,
      now,
      input.parent?.runId ?? null,
      input.parent?.version ?? null,
      input.mapRun?.id ?? null,
    ],
  );
  const id = row!.id;
  const started = [
    {
      type: "ExecutionStarted",
      details: { input: input.text, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    },
  ];
  // With the caller's event log, ExecutionStarted is written with the first step's events.
  if (input.history) input.history.append(id, started);
  else await appendEvents(tx, id, now, started);
  const fields = {
    executionId: id,
    parentId: null,
    container: "",
    itemIndex: 0,
    status: "RUNNING",
    stateName: machine.definition.StartAt,
    phase: "enter",
    stateInput: input.parsed,
    stateData: {},
    variables: input.mapRun?.variables ?? {},
  } as const satisfies Parameters<typeof insertRun>[1];
  const runId = await insertRun(tx, fields, now);
  const root: Run = {
    ...fields,
    id: runId,
    version: 1,
    wakeAt: null,
    output: undefined,
    error: null,
    cause: null,
  };
  if (input.firstStep !== "caller") await sendStep(queues, { kind: "run", run: root.id, version: 1 });
  const timeout = machine.definition.TimeoutSeconds;
  if (typeof timeout === "number" && timeout > 0) {
    await sendStep(queues, { kind: "timeout", execution: id }, timeout * 1000);
  }
  const execution: ExecutionInfo = {
    id,
    arn: input.arn,
    name: input.name,
    input: input.parsed,
    startedAt: now,
    definition: machine.definition,
    stateMachineArn: machine.arn,
    stateMachineName: machine.name,
    roleArn: machine.roleArn,
    machineType: machine.type,
    status: "RUNNING",
    redriveCount: 0,
    parentRunId: input.parent?.runId ?? null,
    parentRunVersion: input.parent?.version ?? null,
    mapRunId: input.mapRun?.id ?? null,
    statusQueue: machine.statusQueue,
  };
  await sendStatusEvent(queues, execution, { status: "RUNNING", at: now });
  return { execution, root };
}
