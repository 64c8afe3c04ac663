import { randomUUID } from "node:crypto";
import type { Queues, TransactionalQueues } from "../queues/types.js";
import { isUniqueViolation } from "../store/errors.js";
import type { Queryable, Store } from "../store/types.js";
import { appendEvents, type HistoryEvent, readHistory } from "./history.js";
import { finishStepInRequest, openStep } from "./inline.js";
import { jacksonSyntaxError } from "./json-syntax.js";
import { checkExecutionTransition } from "./lifecycle.js";
import type { Machines, StateMachine } from "./machines.js";
import { redriveRun } from "./redrive.js";
import { insertRun, loadRun } from "./runs.js";
import {
  executionAlreadyExists,
  executionDoesNotExist,
  executionNotRedrivable,
  invalidArn,
  invalidExecutionInput,
  invalidName,
  ServiceError,
} from "./service-errors.js";
import { closeExecution, type ExecutionInfo, sendStep, stepsQueueSetup } from "./step.js";
import type { ExecutionStatus, MachineDefinition, StateMachineType } from "./types.js";

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** RedriveExecution works within 14 days of the stop. */
const REDRIVE_WINDOW_MILLIS = 14 * 24 * 3600 * 1000;
/** Express executions last at most five minutes. */
const EXPRESS_LIMIT_MILLIS = 5 * 60 * 1000;
const SYNC_POLL_MILLIS = 20;
const MAX_INPUT_BYTES = 262_144;

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
}

interface ExecutionRow {
  id: number;
  arn: string;
  name: string;
  state_machine_id: number;
  definition: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  started_at: number;
  stopped_at: number | null;
  redrive_count: number;
  redriven_at: number | null;
  sm_arn: string;
  sm_name: string;
  role_arn: string;
  sm_type: StateMachineType;
  parent_run_id: number | null;
  parent_run_version: number | null;
}

export const SELECT_EXECUTIONS = `SELECT e.id, e.arn, e.name, e.state_machine_id, e.definition, e.status, e.input,
  e.output, e.error, e.cause, e.started_at, e.stopped_at, e.redrive_count, e.redriven_at, e.parent_run_id, e.parent_run_version,
  m.arn AS sm_arn, m.name AS sm_name, m.role_arn, m.type AS sm_type
  FROM executions e JOIN state_machines m ON m.id = e.state_machine_id`;
const SELECT = SELECT_EXECUTIONS;

/** Parsed definitions by their text: executions of one machine share one parse. */
const definitions = new Map<string, MachineDefinition>();

/** The execution as steps see it. */
export type { ExecutionRow };

export function infoOf(row: ExecutionRow): ExecutionInfo {
  let definition = definitions.get(row.definition);
  if (!definition) {
    definition = JSON.parse(row.definition) as MachineDefinition;
    if (definitions.size > 1000) definitions.clear();
    definitions.set(row.definition, definition);
  }
  return {
    id: row.id,
    arn: row.arn,
    name: row.name,
    input: JSON.parse(row.input),
    startedAt: row.started_at,
    definition,
    stateMachineArn: row.sm_arn,
    stateMachineName: row.sm_name,
    roleArn: row.role_arn,
    machineType: row.sm_type,
    status: row.status,
    redriveCount: row.redrive_count,
    parentRunId: row.parent_run_id,
    parentRunVersion: row.parent_run_version,
  };
}

function describe(row: ExecutionRow): ExecutionDescription {
  return {
    executionArn: row.arn,
    stateMachineArn: row.sm_arn,
    name: row.name,
    status: row.status,
    startDate: row.started_at,
    ...(row.stopped_at !== null ? { stopDate: row.stopped_at } : {}),
    input: row.input,
    ...(row.output !== null ? { output: row.output } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.cause !== null ? { cause: row.cause } : {}),
    redriveCount: row.redrive_count,
    ...(row.redriven_at !== null ? { redriveDate: row.redriven_at } : {}),
  };
}

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
    machine: StateMachine;
    text: string;
    parsed: unknown;
    now: number;
    parent?: { runId: number; version: number };
    firstStep?: "queued" | "caller";
  },
): Promise<{ execution: ExecutionInfo; runId: number }> {
  const { machine, now } = input;
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO executions (arn, name, state_machine_id, definition, status, input, started_at, parent_run_id, parent_run_version)
     VALUES ($1, $2, $3, $4, 'RUNNING', $5, $6, $7, $8) RETURNING id`,
    [
      input.arn,
      input.name,
      machine.id,
      machine.definitionText,
      input.text,
      now,
      input.parent?.runId ?? null,
      input.parent?.version ?? null,
    ],
  );
  const id = row!.id;
  await appendEvents(tx, id, now, [
    {
      type: "ExecutionStarted",
      details: { input: input.text, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    },
  ]);
  const runId = await insertRun(
    tx,
    {
      executionId: id,
      parentId: null,
      container: "",
      itemIndex: 0,
      status: "RUNNING",
      stateName: machine.definition.StartAt,
      phase: "enter",
      stateInput: input.parsed,
      stateData: {},
      variables: {},
    },
    now,
  );
  if (input.firstStep !== "caller") await sendStep(queues, { kind: "run", run: runId, version: 1 });
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
  };
  return { execution, runId };
}

export function createExecutions(
  store: Store,
  queues: Queues,
  machines: Machines,
  options: { region: string; accountId: string; now: () => number },
) {
  /** Express executions carry a unique suffix: their names need not be unique. */
  const ensureStepsQueue = stepsQueueSetup(queues);
  const executionArn = (machine: StateMachine, name: string) =>
    machine.type === "EXPRESS"
      ? `arn:aws:states:${options.region}:${options.accountId}:express:${machine.name}:${name}:${randomUUID()}`
      : `arn:aws:states:${options.region}:${options.accountId}:execution:${machine.name}:${name}`;

  /** With `lock`, the execution row is locked (PostgreSQL) before anything else, as every writer does. */
  const rowByArn = async (arn: string, db: Queryable = store, lock = false): Promise<ExecutionRow> => {
    if (typeof arn !== "string" || !arn.startsWith("arn:")) throw invalidArn(String(arn));
    const forUpdate = lock && db.dialect === "postgres" ? " FOR UPDATE OF e" : "";
    const [row] = await db.query<ExecutionRow>(`${SELECT} WHERE e.arn = $1${forUpdate}`, [arn]);
    if (!row) throw executionDoesNotExist(arn);
    return row;
  };

  return {
    rowByArn,

    /**
     * Starts an execution: its row, ExecutionStarted, the first run and its first step commit
     * together. Starting again with the same name and input while it runs returns it unchanged.
     */
    async start(input: {
      stateMachineArn: string;
      name?: string;
      input?: string;
    }): Promise<ExecutionDescription> {
      const machine = await machines.byArn(input.stateMachineArn);
      const name = input.name ?? randomUUID();
      if (typeof name !== "string" || !NAME.test(name)) throw invalidName(String(name));
      const text = input.input ?? "{}";
      if (Buffer.byteLength(text, "utf8") > MAX_INPUT_BYTES) {
        throw invalidExecutionInput("Input exceeds the maximum size of 262144 bytes.");
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw invalidExecutionInput(jacksonSyntaxError(text) ?? (error as Error).message);
      }
      const arn = executionArn(machine, name);
      await ensureStepsQueue();
      const now = options.now();
      try {
        await store.transaction(async (tx) => {
          const transactional = queues.within(tx);
          const { execution, runId } = await insertExecution(tx, transactional, {
            ...{ arn, name, machine, text, parsed, now },
            firstStep: "caller",
          });
          // The first states usually finish at once (Pass, Choice, sending a task): they commit with the start.
          const step = openStep(tx, transactional, { now, region: options.region, execution });
          step.ready.runs.push({ run: runId, version: 1 });
          await finishStepInRequest(step);
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The name is taken: the same start again while it runs answers as the first did.
        const [existing] = await store.query<ExecutionRow>(`${SELECT} WHERE e.arn = $1`, [arn]);
        if (existing?.status === "RUNNING" && existing.input === text) return describe(existing);
        throw executionAlreadyExists(arn);
      }
      return {
        executionArn: arn,
        stateMachineArn: machine.arn,
        name,
        status: "RUNNING",
        startDate: now,
        input: text,
        redriveCount: 0,
      };
    },

    async describe(arn: string): Promise<ExecutionDescription> {
      return describe(await rowByArn(arn));
    },

    async list(filter: {
      stateMachineArn: string;
      status?: ExecutionStatus;
      limit: number;
      afterId?: number;
    }) {
      const machine = await machines.byArn(filter.stateMachineArn);
      const params: unknown[] = [machine.id, filter.afterId ?? Number.MAX_SAFE_INTEGER, filter.limit];
      if (filter.status) params.push(filter.status);
      const rows = await store.query<ExecutionRow>(
        `${SELECT} WHERE e.state_machine_id = $1 AND e.id < $2${filter.status ? " AND e.status = $4" : ""}
         ORDER BY e.id DESC LIMIT $3`,
        params as never,
      );
      return rows.map((row) => ({ id: row.id, ...describe(row) }));
    },

    async history(
      arn: string,
      options: { afterId?: number; limit: number; reverse?: boolean },
    ): Promise<HistoryEvent[]> {
      const row = await rowByArn(arn);
      return readHistory(store, row.id, options);
    },

    /**
     * RedriveExecution: a failed, timed-out or aborted execution goes on from where it stopped,
     * under the same ARN; what succeeded is not run again.
     */
    async redrive(arn: string): Promise<{ redriveDate: number }> {
      const now = options.now();
      await store.transaction(async (tx) => {
        const row = await rowByArn(arn, tx);
        if (
          row.status === "RUNNING" ||
          row.status === "SUCCEEDED" ||
          (row.stopped_at ?? now) < now - REDRIVE_WINDOW_MILLIS
        ) {
          throw executionNotRedrivable(arn, row.status);
        }
        const info = infoOf(row);
        checkExecutionTransition(row.status, "RUNNING");
        await tx.run(
          `UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stopped_at = NULL,
             redrive_count = redrive_count + 1, redriven_at = $1 WHERE id = $2`,
          [now, row.id],
        );
        await appendEvents(tx, row.id, now, [
          { type: "ExecutionRedriven", details: { redriveCount: row.redrive_count + 1 } },
        ]);
        const [root] = await tx.query<{ id: number }>(
          "SELECT id FROM runs WHERE execution_id = $1 AND parent_id IS NULL",
          [row.id],
        );
        const run = await loadRun(tx, root!.id);
        await redriveRun(tx, queues.within(tx), info.definition, run!, now);
      });
      return { redriveDate: now };
    },

    /** StartSyncExecution: runs an EXPRESS state machine to its end and answers with the outcome. */
    async startSync(input: {
      stateMachineArn: string;
      name?: string;
      input?: string;
    }): Promise<ExecutionDescription> {
      const machine = await machines.byArn(input.stateMachineArn);
      if (machine.type !== "EXPRESS") {
        throw new ServiceError(
          "StateMachineTypeNotSupported",
          "This operation is not supported by this type of state machine",
        );
      }
      const started = await this.start(input);
      const deadline = options.now() + EXPRESS_LIMIT_MILLIS;
      for (;;) {
        const current = await this.describe(started.executionArn);
        if (current.status !== "RUNNING" || options.now() >= deadline) return current;
        await new Promise((resolve) => setTimeout(resolve, SYNC_POLL_MILLIS));
      }
    },

    /** StopExecution: the execution ends ABORTED and none of its runs goes on. */
    async stop(arn: string, details: { error?: string; cause?: string }): Promise<{ stopDate: number }> {
      const now = options.now();
      await store.transaction(async (tx) => {
        const row = await rowByArn(arn, tx, true);
        if (row.status !== "RUNNING") return;
        await appendEvents(tx, row.id, now, [
          {
            type: "ExecutionAborted",
            details: {
              ...(details.error !== undefined ? { error: details.error } : {}),
              ...(details.cause !== undefined ? { cause: details.cause } : {}),
            },
          },
        ]);
        await closeExecution(tx, infoOf(row), now, { status: "ABORTED", ...details });
      });
      return { stopDate: now };
    },
  };
}

export type Executions = ReturnType<typeof createExecutions>;
