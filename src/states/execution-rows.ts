import type { Queryable } from "../store/types.js";
import { parseDefinition } from "./definition-cache.js";
import type { ExecutionInfo } from "./step.js";
import type { ExecutionStatus, StateMachineType } from "./types.js";

/** An execution row as SELECT_EXECUTIONS reads it, with its state machine's facts. */
export interface ExecutionRow {
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
  map_run_id: number | null;
  map_run_arn: string | null;
  status_queue: string | null;
}

export const SELECT_EXECUTIONS = `SELECT e.id, e.arn, e.name, e.state_machine_id, e.definition, e.status, e.input,
  e.output, e.error, e.cause, e.started_at, e.stopped_at, e.redrive_count, e.redriven_at, e.parent_run_id, e.parent_run_version,
  e.map_run_id, r.arn AS map_run_arn, m.arn AS sm_arn, m.name AS sm_name, m.role_arn, m.type AS sm_type, m.status_queue
  FROM executions e JOIN state_machines m ON m.id = e.state_machine_id LEFT JOIN map_runs r ON r.id = e.map_run_id`;

/** The execution as steps see it. */
export function infoOf(row: ExecutionRow): ExecutionInfo {
  const definition = parseDefinition(row.definition);
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
    mapRunId: row.map_run_id,
    statusQueue: row.status_queue,
  };
}

/**
 * Loads and (PostgreSQL) locks an execution. Every writer takes the execution's lock before its
 * runs' locks (steps, StopExecution, task answers alike), so two of them never deadlock; a child
 * execution's step may then lock its parent, never the other way round.
 */
export async function lockExecution(tx: Queryable, id: number): Promise<ExecutionRow | undefined> {
  const [row] = await tx.query<ExecutionRow>(
    `${SELECT_EXECUTIONS} WHERE e.id = $1${tx.dialect === "postgres" ? " FOR UPDATE OF e" : ""}`,
    [id],
  );
  return row;
}
