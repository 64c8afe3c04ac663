import type { Queryable } from "../store/types.js";
import { checkRunTransition } from "./lifecycle.js";
import type { RunStatus } from "./types.js";

export type Phase = "enter" | "resume";

/** A run as stored: where it is and what it carries. JSON columns are parsed. */
export interface Run {
  id: number;
  executionId: number;
  parentId: number | null;
  container: string;
  itemIndex: number;
  status: RunStatus;
  version: number;
  stateName: string;
  phase: Phase;
  stateInput: unknown;
  /** What a state keeps between its phases: retry counts, the resume payload, a Map's settings. */
  stateData: StateData;
  variables: Record<string, unknown>;
  wakeAt: number | null;
  output: unknown;
  error: string | null;
  cause: string | null;
}

export interface MapRunRef {
  id: number;
  arn: string;
  /** The Map's Label (or a generated one): child execution ARNs carry it. */
  label: string;
}

export interface StateData {
  /** Attempts per Retrier index for the current state. */
  retries?: number[];
  /** The Map item a Map iteration's run works on (context object Map.Item). */
  mapItem?: { index: number; value: unknown };
  /** When the state was entered (context object State.EnteredTime). */
  enteredAt?: number;
  /** A Map or Parallel waiting for its children. */
  children?: {
    total: number;
    maxConcurrency: number;
    toleratedCount?: number;
    toleratedPercentage?: number;
    /** A distributed Map's run, whose children each run as an execution. */
    mapRun?: MapRunRef;
  };
  /** An iteration of a distributed Map: the map run it belongs to. */
  mapRun?: MapRunRef;
  /** An iteration of a distributed Map that started its execution: that execution's ARN. */
  childExecution?: string;
  /**
   * A task waiting for its answer: what it called, for the worker that invokes functions, and
   * when a function call's TimeoutSeconds runs out.
   */
  task?: { resource: string; parameters: unknown; deadline?: number };
  /** What the state resumes with. */
  resume?: { result?: unknown; error?: { error: string; cause: string } };
}

interface RunRow {
  id: number;
  execution_id: number;
  parent_id: number | null;
  container: string;
  item_index: number;
  status: RunStatus;
  version: number;
  state_name: string;
  phase: Phase;
  state_input: string;
  state_data: string | null;
  variables: string;
  wake_at: number | null;
  output: string | null;
  error: string | null;
  cause: string | null;
}

const parse = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));

function fromRow(row: RunRow): Run {
  return {
    id: row.id,
    executionId: row.execution_id,
    parentId: row.parent_id,
    container: row.container,
    itemIndex: row.item_index,
    status: row.status,
    version: row.version,
    stateName: row.state_name,
    phase: row.phase,
    stateInput: parse(row.state_input),
    stateData: (parse(row.state_data) as StateData | undefined) ?? {},
    variables: parse(row.variables) as Record<string, unknown>,
    wakeAt: row.wake_at,
    output: parse(row.output),
    error: row.error,
    cause: row.cause,
  };
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** Loads a run, locking its row on PostgreSQL so concurrent steps of one run take turns. */
export async function loadRun(tx: Queryable, id: number): Promise<Run | undefined> {
  const [row] = await tx.query<RunRow>(
    `SELECT * FROM runs WHERE id = $1${tx.dialect === "postgres" ? " FOR UPDATE" : ""}`,
    [id],
  );
  return row ? fromRow(row) : undefined;
}

export async function childrenOf(tx: Queryable, parentId: number): Promise<Run[]> {
  const rows = await tx.query<RunRow>("SELECT * FROM runs WHERE parent_id = $1 ORDER BY item_index", [
    parentId,
  ]);
  return rows.map(fromRow);
}

export async function insertRun(
  tx: Queryable,
  run: Omit<Run, "id" | "version" | "wakeAt" | "output" | "error" | "cause">,
  now: number,
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO runs (execution_id, parent_id, container, item_index, status, version, state_name, phase,
       state_input, state_data, variables, updated_at)
     VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [
      run.executionId,
      run.parentId,
      run.container,
      run.itemIndex,
      run.status,
      run.stateName,
      run.phase,
      json(run.stateInput),
      json(run.stateData),
      json(run.variables),
      now,
    ],
  );
  return row!.id;
}

/**
 * Writes a run's new position and bumps its version: a step message carrying the old version is
 * stale from now on. The status change is checked against the run lifecycle.
 */
export async function saveRun(tx: Queryable, before: Run, after: Run, now: number): Promise<number> {
  checkRunTransition(before.status, after.status);
  const version = before.version + 1;
  await tx.run(
    `UPDATE runs SET status = $1, version = $2, state_name = $3, phase = $4, state_input = $5, state_data = $6,
       variables = $7, wake_at = $8, output = $9, error = $10, cause = $11, updated_at = $12
     WHERE id = $13`,
    [
      after.status,
      version,
      after.stateName,
      after.phase,
      json(after.stateInput),
      json(after.stateData),
      json(after.variables),
      after.wakeAt,
      json(after.output),
      after.error,
      after.cause,
      now,
      before.id,
    ],
  );
  return version;
}

/** Removes the runs under a parent, all the way down: a Map or Parallel done with its children, or about to start new ones. */
export async function deleteDescendants(tx: Queryable, parentId: number): Promise<void> {
  let parents = [parentId];
  while (parents.length > 0) {
    const next: number[] = [];
    for (const id of parents) {
      const rows = await tx.query<{ id: number }>("DELETE FROM runs WHERE parent_id = $1 RETURNING id", [id]);
      next.push(...rows.map((row) => row.id));
    }
    parents = next;
  }
}
