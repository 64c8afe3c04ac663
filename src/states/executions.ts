import { randomUUID } from "node:crypto";
import type { Queues } from "../queues/types.js";
import { isUniqueViolation } from "../store/errors.js";
import type { Queryable, Store } from "../store/types.js";
import { type ExecutionRow, infoOf, SELECT_EXECUTIONS } from "./execution-rows.js";
import { appendEvents, createEventLog, type HistoryEvent, readHistory } from "./history.js";
import { finishStepInRequest, openStep } from "./inline.js";
import { jacksonSyntaxError } from "./json-syntax.js";
import { checkExecutionTransition } from "./lifecycle.js";
import type { Machines, StateMachine } from "./machines.js";
import { mapRunRow } from "./map-runs.js";
import { insertExecution } from "./new-execution.js";
import { redriveRun } from "./redrive.js";
import { loadRun } from "./runs.js";
import {
  executionAlreadyExists,
  executionDoesNotExist,
  executionNotRedrivable,
  invalidArn,
  invalidExecutionInput,
  invalidName,
  ServiceError,
} from "./service-errors.js";
import { sendStatusEvent } from "./status-events.js";
import { closeExecution, reportToParentExecution } from "./step.js";
import { stepsQueueSetup } from "./steps-queue.js";
import type { ExecutionStatus } from "./types.js";

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
  /** Set for an iteration of a distributed Map. */
  mapRunArn?: string;
}

const SELECT = SELECT_EXECUTIONS;

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
    ...(row.map_run_arn !== null ? { mapRunArn: row.map_run_arn } : {}),
  };
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
     * together, with whatever `within` writes first (a caller's own record of what it started).
     * Starting again with the same name and input while it runs returns it unchanged, and
     * `within`'s writes of that second call are rolled back.
     */
    async start(
      input: {
        stateMachineArn: string;
        name?: string;
        input?: string;
      },
      also: { within?: (tx: Queryable) => Promise<void> } = {},
    ): Promise<ExecutionDescription> {
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
          await also.within?.(tx);
          const transactional = queues.within(tx);
          const history = createEventLog(tx, now);
          const { execution, root } = await insertExecution(tx, transactional, {
            ...{ arn, name, machine, text, parsed, now, history },
            firstStep: "caller",
          });
          // The first states usually finish at once (Pass, Choice, sending a task): they commit with the start.
          const step = openStep(tx, transactional, { now, region: options.region, execution, history });
          // Written just now and untouched since: the step need not read it again.
          step.ready.runs.push({ run: root.id, version: 1, loaded: root });
          await finishStepInRequest(step);
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The name is taken: the same start again while it runs answers as the first did.
        const [existing] = await store.query<ExecutionRow>(`${SELECT} WHERE e.arn = $1`, [arn]);
        // Without such an execution, the violation was one of `within`'s own writes.
        if (!existing) throw error;
        if (existing.status === "RUNNING" && existing.input === text) return describe(existing);
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

    /**
     * ListExecutions: a state machine's own executions, or (with `mapRunArn`) the executions of
     * one distributed Map run, which a state machine's listing leaves out, as AWS does.
     */
    async list(
      filter: { status?: ExecutionStatus; limit: number; afterId?: number } & (
        | { stateMachineArn: string }
        | { mapRunArn: string }
      ),
    ) {
      const owner =
        "mapRunArn" in filter
          ? { column: "e.map_run_id", id: (await mapRunRow(store, filter.mapRunArn)).id }
          : { column: "e.state_machine_id", id: (await machines.byArn(filter.stateMachineArn)).id };
      const params: unknown[] = [owner.id, filter.afterId ?? Number.MAX_SAFE_INTEGER, filter.limit];
      if (filter.status) params.push(filter.status);
      const rows = await store.query<ExecutionRow>(
        `${SELECT} WHERE ${owner.column} = $1 AND e.id < $2${filter.status ? " AND e.status = $4" : ""}
         ${"mapRunArn" in filter ? "" : "AND e.map_run_id IS NULL"} ORDER BY e.id DESC LIMIT $3`,
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
        const transactional = queues.within(tx);
        await redriveRun(tx, transactional, info.definition, run!, now);
        await sendStatusEvent(
          transactional,
          { ...info, redriveCount: row.redrive_count + 1 },
          { status: "RUNNING", at: now },
        );
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
        const ending = { status: "ABORTED" as const, ...details };
        const step = openStep(tx, queues.within(tx), { now, region: options.region, execution: infoOf(row) });
        await closeExecution(tx, step.queues, step.execution, now, ending);
        // A parent waiting on it (`.sync`, or a distributed Map) learns that it stopped.
        await reportToParentExecution(step, step.execution, ending);
        await step.history.flush();
      });
      return { stopDate: now };
    },
  };
}

export type Executions = ReturnType<typeof createExecutions>;
