import { randomUUID } from "node:crypto";
import type { TransactionalQueues } from "../queues/types.js";
import type { Queryable } from "../store/types.js";
import { containerAt, topLanguage } from "./containers.js";
import { insertExecution } from "./new-execution.js";
import { type MapRunRef, type Run, saveRun } from "./runs.js";
import { ServiceError } from "./service-errors.js";
import type { StepContext } from "./step.js";
import { sendStep } from "./steps-queue.js";
import type { MachineDefinition } from "./types.js";

/**
 * Distributed Map runs. A DISTRIBUTED Map groups its iterations under a map run, and each
 * iteration is an execution of its own, with its own history (and so its own 25,000-event
 * limit): the Map's children are stand-in runs that start those executions and end when they do.
 */
export const MAP_RUN_STATUSES = Object.freeze(["RUNNING", "SUCCEEDED", "FAILED", "ABORTED"] as const);
export type MapRunStatus = (typeof MAP_RUN_STATUSES)[number];

const accountOf = (arn: string) => arn.split(":")[4] ?? "";

export async function insertMapRun(
  step: StepContext,
  runId: number,
  settings: {
    label: string | undefined;
    maxConcurrency: number;
    itemCount: number;
    toleratedCount?: number;
    toleratedPercentage?: number;
  },
): Promise<MapRunRef> {
  const { execution } = step;
  // AWS generates a label when the Map has none; ARNs then carry it.
  const label = settings.label ?? randomUUID().slice(0, 8);
  const arn = `arn:aws:states:${step.region}:${accountOf(execution.arn)}:mapRun:${execution.stateMachineName}/${label}:${randomUUID()}`;
  const [row] = await step.tx.query<{ id: number }>(
    `INSERT INTO map_runs (arn, execution_id, run_id, status, max_concurrency, tolerated_count, tolerated_percentage,
       item_count, started_at)
     VALUES ($1, $2, $3, 'RUNNING', $4, $5, $6, $7, $8) RETURNING id`,
    [
      arn,
      execution.id,
      runId,
      settings.maxConcurrency,
      settings.toleratedCount ?? null,
      settings.toleratedPercentage ?? null,
      settings.itemCount,
      step.now,
    ],
  );
  return { id: row!.id, arn, label };
}

export async function endMapRun(tx: Queryable, id: number, status: MapRunStatus, now: number): Promise<void> {
  await tx.run("UPDATE map_runs SET status = $1, stopped_at = $2 WHERE id = $3", [status, now, id]);
}

/** A redriven Map goes on under the same map run. */
export async function reopenMapRun(tx: Queryable, id: number, now: number): Promise<void> {
  await tx.run(
    `UPDATE map_runs SET status = 'RUNNING', stopped_at = NULL, redrive_count = redrive_count + 1, redriven_at = $2
     WHERE id = $1`,
    [id, now],
  );
}

/**
 * Starts the execution of one iteration: the Map's ItemProcessor as its definition, the item as
 * its input. The stand-in run waits for it; the execution reports back when it ends.
 */
export async function startIteration(step: StepContext, run: Run, mapRun: MapRunRef): Promise<void> {
  const { execution, tx, now } = step;
  const processor = containerAt(execution.definition, run.container);
  const definition: MachineDefinition = {
    QueryLanguage: processor.QueryLanguage ?? topLanguage(execution.definition),
    StartAt: processor.StartAt,
    States: processor.States,
  };
  const [owner] = await tx.query<{ state_machine_id: number }>(
    "SELECT state_machine_id FROM executions WHERE id = $1",
    [execution.id],
  );
  const name = randomUUID();
  const arn = `arn:aws:states:${step.region}:${accountOf(execution.arn)}:execution:${execution.stateMachineName}/${mapRun.label}:${name}`;
  const waiting: Run = {
    ...run,
    status: "WAITING",
    phase: "resume",
    stateData: { ...run.stateData, childExecution: arn },
  };
  const version = await saveRun(tx, run, waiting, now);
  await insertExecution(tx, step.queues, {
    arn,
    name,
    machine: {
      id: owner!.state_machine_id,
      name: execution.stateMachineName,
      arn: execution.stateMachineArn,
      type: "STANDARD",
      roleArn: execution.roleArn,
      definition,
      definitionText: JSON.stringify(definition),
      // Iterations report to their map run, not as executions of their own.
      statusQueue: null,
    },
    text: JSON.stringify(run.stateInput),
    parsed: run.stateInput,
    now,
    parent: { runId: run.id, version },
    mapRun: { id: mapRun.id, variables: run.variables },
  });
}

/**
 * Once runs of an execution are aborted (it ended, or a Map gave up on its iterations), the
 * executions of their distributed iterations are stopped too, each in a step of its own (its
 * lock is taken after its parent's, never before), and their map runs end ABORTED. `scope`
 * "execution": the whole execution ended, and only map runs still running can have iterations
 * running (most executions have none, and pay one statement).
 */
export async function abortIterations(
  tx: Queryable,
  queues: TransactionalQueues,
  executionId: number,
  now: number,
  scope: "execution" | "runs",
): Promise<void> {
  const ended = await tx.query<{ id: number }>(
    `UPDATE map_runs SET status = 'ABORTED', stopped_at = $2 WHERE execution_id = $1 AND status = 'RUNNING'
       AND run_id IN (SELECT id FROM runs WHERE execution_id = $1 AND status = 'ABORTED') RETURNING id`,
    [executionId, now],
  );
  if (scope === "execution" && ended.length === 0) return;
  // Found by their stand-in runs (the status is checked here, not in SQL, so that SQLite's
  // planner starts from those runs rather than from every running execution).
  const iterations = await tx.query<{ id: number; status: string }>(
    `SELECT id, status FROM executions WHERE map_run_id IS NOT NULL
       AND parent_run_id IN (SELECT id FROM runs WHERE execution_id = $1 AND status = 'ABORTED')`,
    [executionId],
  );
  for (const { id, status } of iterations) {
    if (status === "RUNNING") await sendStep(queues, { kind: "abort", execution: id });
  }
}

export interface MapRunRow {
  id: number;
  arn: string;
  execution_id: number;
  status: MapRunStatus;
  max_concurrency: number;
  tolerated_count: number | null;
  tolerated_percentage: number | null;
  item_count: number;
  started_at: number;
  stopped_at: number | null;
  redrive_count: number;
  redriven_at: number | null;
}

export async function mapRunRow(db: Queryable, arn: string): Promise<MapRunRow> {
  const [row] = await db.query<MapRunRow>("SELECT * FROM map_runs WHERE arn = $1", [arn]);
  if (!row) throw new ServiceError("ResourceNotFound", `Resource not found: '${arn}'`);
  return row;
}

type Counts = Record<
  "pending" | "running" | "succeeded" | "failed" | "timedOut" | "aborted" | "total",
  number
>;

/** DescribeMapRun and ListMapRuns, read from the map runs and their executions. */
export function createMapRuns(store: Queryable) {
  const describe = async (row: MapRunRow, executionArn: string) => {
    const byStatus = await store.query<{ status: string; n: number }>(
      "SELECT status, COUNT(*) AS n FROM executions WHERE map_run_id = $1 GROUP BY status",
      [row.id],
    );
    const count = (status: string) => Number(byStatus.find((entry) => entry.status === status)?.n ?? 0);
    const started = byStatus.reduce((sum, entry) => sum + Number(entry.n), 0);
    const executionCounts: Counts = {
      pending: 0,
      running: count("RUNNING"),
      succeeded: count("SUCCEEDED"),
      failed: count("FAILED"),
      timedOut: count("TIMED_OUT"),
      aborted: count("ABORTED"),
      total: started,
    };
    return {
      mapRunArn: row.arn,
      executionArn,
      status: row.status,
      startDate: Number(row.started_at),
      ...(row.stopped_at !== null ? { stopDate: Number(row.stopped_at) } : {}),
      maxConcurrency: row.max_concurrency,
      toleratedFailurePercentage: row.tolerated_percentage ?? 0,
      toleratedFailureCount: row.tolerated_count ?? 0,
      // Items not yet started are pending; a redriven item counts once per execution it ran as.
      itemCounts: {
        ...executionCounts,
        pending: Math.max(0, row.item_count - started),
        total: Math.max(row.item_count, started),
      },
      executionCounts,
      redriveCount: Number(row.redrive_count),
      ...(row.redriven_at !== null ? { redriveDate: Number(row.redriven_at) } : {}),
    };
  };
  const executionArnOf = async (executionId: number) => {
    const [row] = await store.query<{ arn: string }>("SELECT arn FROM executions WHERE id = $1", [
      executionId,
    ]);
    return row?.arn ?? "";
  };
  return {
    async describe(arn: string) {
      const row = await mapRunRow(store, arn);
      return describe(row, await executionArnOf(row.execution_id));
    },
    /** The map runs an execution started, oldest first, after `afterId`. */
    async list(executionArn: string, page: { limit: number; afterId?: number }) {
      const [execution] = await store.query<{ id: number }>("SELECT id FROM executions WHERE arn = $1", [
        executionArn,
      ]);
      if (!execution) {
        throw new ServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
      }
      const rows = await store.query<MapRunRow>(
        "SELECT * FROM map_runs WHERE execution_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        [execution.id, page.afterId ?? 0, page.limit],
      );
      return rows.map((row) => ({
        id: row.id,
        mapRunArn: row.arn,
        executionArn,
        // A map run's iterations run a state machine named for the Map's label under the parent's.
        stateMachineArn: row.arn.replace(":mapRun:", ":stateMachine:").replace(/:[^:]+$/, ""),
        startDate: Number(row.started_at),
        ...(row.stopped_at !== null ? { stopDate: Number(row.stopped_at) } : {}),
      }));
    },
  };
}
