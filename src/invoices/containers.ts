import type { Queryable, SqlValue } from "../store/types.js";
import { containerNotFound, invalidContainerState } from "./errors.js";
import { newId } from "./ids.js";
import { escapeLike, pageOf } from "./paging.js";
import {
  type Container,
  type ContainerSource,
  type ContainerState,
  canTransition,
  type Page,
  type Transition,
} from "./types.js";

interface ContainerRow {
  seq: number;
  id: string;
  tenant_id: string;
  name: string;
  size: number;
  sha256: string;
  source: ContainerSource;
  received_at: number;
  state: ContainerState;
  error: string | null;
  transition_count: number;
  execution_arn: string | null;
  reprocess_count: number;
  supplier_id: string | null;
  parsed_count: number | null;
  created_count: number;
  warnings: string;
}

const COLUMNS = `seq, id, tenant_id, name, size, sha256, source, received_at, state, error, transition_count,
  execution_arn, reprocess_count, supplier_id, parsed_count, created_count, warnings`;

function containerOf(row: ContainerRow): Container {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    size: row.size,
    sha256: row.sha256,
    source: row.source,
    receivedAt: row.received_at,
    state: row.state,
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.execution_arn !== null ? { executionArn: row.execution_arn } : {}),
    reprocessCount: row.reprocess_count,
    ...(row.supplier_id !== null ? { supplierId: row.supplier_id } : {}),
    ...(row.parsed_count !== null ? { parsedCount: row.parsed_count } : {}),
    createdCount: row.created_count,
    warnings: JSON.parse(row.warnings) as unknown[],
  };
}

export interface NewContainer {
  /** Chosen by the caller when it must know the id first (to name the execution); else generated. */
  id?: string;
  tenantId: string;
  name: string;
  size: number;
  sha256: string;
  source: ContainerSource;
  receivedAt?: number;
  executionArn?: string;
}

export const newContainerId = (): string => newId("c_");

/** Inserts a container in state New, with its first transition. */
export async function insertContainer(db: Queryable, input: NewContainer): Promise<Container> {
  const id = input.id ?? newContainerId();
  const at = input.receivedAt ?? Date.now();
  const [row] = await db.query<ContainerRow>(
    `INSERT INTO containers (id, tenant_id, name, size, sha256, source, received_at, state, transition_count, execution_arn)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'New', 1, $8) RETURNING ${COLUMNS}`,
    [id, input.tenantId, input.name, input.size, input.sha256, input.source, at, input.executionArn ?? null],
  );
  await db.run("INSERT INTO container_transitions (container_id, seq, state, at) VALUES ($1, 1, 'New', $2)", [
    id,
    at,
  ]);
  return containerOf(row!);
}

/** The container, if it exists and (given `tenantId`) belongs to that tenant. */
export async function findContainer(
  db: Queryable,
  id: string,
  tenantId?: string,
): Promise<Container | undefined> {
  const [row] = await db.query<ContainerRow>(`SELECT ${COLUMNS} FROM containers WHERE id = $1`, [id]);
  if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) return undefined;
  return containerOf(row);
}

/** As `findContainer`; another tenant's container is not found either, so its existence never shows. */
export async function getContainer(db: Queryable, id: string, tenantId?: string): Promise<Container> {
  const container = await findContainer(db, id, tenantId);
  if (!container) throw containerNotFound(id);
  return container;
}

export interface TransitionOptions {
  /** Why (kept with the transition; the container's error when `to` is Error). */
  reason?: string;
  /** The states this operation moves from; from any other it is refused, as it is where the lifecycle forbids. */
  from?: readonly ContainerState[];
  /** States in which the container is answered as it is instead: the operation already happened. */
  unchangedIn?: readonly ContainerState[];
  /** Only while this is the container's current execution; answered unchanged once it is not (a stale event). */
  ifExecution?: string;
  /** A reprocess (to New) starts a new execution: its ARN and the reprocess number it is named by. */
  reprocess?: { executionArn: string; count: number };
  at?: number;
}

/** How often a transition re-reads a container that changed under it before giving up. */
const MAX_ATTEMPTS = 20;

/**
 * The one way a container changes state. The lifecycle (CONTAINER_TRANSITIONS) and the caller's
 * `from` guard it; the update is conditional on the transition count read, so two concurrent
 * transitions never both apply to the same state: the loser reads the container again and is
 * judged on its new state. Every transition is kept with its time in `container_transitions`.
 */
export async function transitionContainer(
  db: Queryable,
  id: string,
  to: ContainerState,
  options: TransitionOptions = {},
): Promise<{ container: Container; changed: boolean }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await db.query<ContainerRow>(`SELECT ${COLUMNS} FROM containers WHERE id = $1`, [id]);
    const row = current[0];
    if (!row) throw containerNotFound(id);
    if (
      options.unchangedIn?.includes(row.state) ||
      (options.ifExecution !== undefined && row.execution_arn !== options.ifExecution)
    ) {
      return { container: containerOf(row), changed: false };
    }
    if ((options.from && !options.from.includes(row.state)) || !canTransition(row.state, to)) {
      throw invalidContainerState(id, row.state, to);
    }
    const at = options.at ?? Date.now();
    const reason = options.reason ?? null;
    const reprocess = to === "New" ? options.reprocess : undefined;
    if (to === "New" && !reprocess) throw new Error(`A reprocess of ${id} must name its new execution`);
    const params: SqlValue[] = [id, row.transition_count, to, to === "Error" ? reason : null];
    // A reprocess starts over: a new execution, nothing parsed yet, the old warnings gone.
    const restart = reprocess
      ? `, execution_arn = $5, reprocess_count = $6, parsed_count = NULL, warnings = '[]'`
      : "";
    if (reprocess) params.push(reprocess.executionArn, reprocess.count);
    const [updated] = await db.query<ContainerRow>(
      `UPDATE containers SET state = $3, error = $4, transition_count = transition_count + 1${restart}
       WHERE id = $1 AND transition_count = $2 RETURNING ${COLUMNS}`,
      params,
    );
    if (!updated) continue;
    await db.run(
      "INSERT INTO container_transitions (container_id, seq, state, at, reason) VALUES ($1, $2, $3, $4, $5)",
      [id, updated.transition_count, to, at, reason],
    );
    return { container: containerOf(updated), changed: true };
  }
  throw new Error(`Container ${id} kept changing during ${MAX_ATTEMPTS} attempts to make it ${to}`);
}

export async function containerTransitions(db: Queryable, id: string): Promise<Transition[]> {
  const rows = await db.query<{ state: ContainerState; at: number; reason: string | null }>(
    "SELECT state, at, reason FROM container_transitions WHERE container_id = $1 ORDER BY seq",
    [id],
  );
  return rows.map((row) => ({
    state: row.state,
    at: row.at,
    ...(row.reason !== null ? { reason: row.reason } : {}),
  }));
}

export interface ContainerFilter {
  /** Undefined: every tenant's (the service key's view). */
  tenantId?: string;
  state?: ContainerState;
  supplierId?: string;
  /** Part of the file name, any case. */
  nameContains?: string;
  /** Where the files came from. */
  source?: ContainerSource;
  /** Containers that hold an invoice of this number (exactly, as the invoice has it). */
  invoiceNumber?: string;
  /** Received at or after / before, epoch ms. */
  from?: number;
  to?: number;
  limit: number;
  /** Continue before this position (a page's `next`). */
  before?: number;
}

/** Containers newest first, a page at a time (keyset paging on the insertion order). */
/** The most containers an invoice number is looked for in: the same number in more files is a data problem. */
const MAX_INVOICE_HOLDERS = 1000;

export async function listContainers(db: Queryable, filter: ContainerFilter): Promise<Page<Container>> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const add = (condition: (placeholder: string) => string, value: SqlValue) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (filter.tenantId !== undefined) add((p) => `tenant_id = ${p}`, filter.tenantId);
  if (filter.state !== undefined) add((p) => `state = ${p}`, filter.state);
  if (filter.supplierId !== undefined) add((p) => `supplier_id = ${p}`, filter.supplierId);
  if (filter.nameContains !== undefined && filter.nameContains !== "") {
    add((p) => `lower(name) LIKE ${p} ESCAPE '\\'`, `%${escapeLike(filter.nameContains.toLowerCase())}%`);
  }
  if (filter.source !== undefined) add((p) => `source = ${p}`, filter.source);
  if (filter.invoiceNumber !== undefined) {
    // The holders first, through invoices_number (tenant, number): as a subquery, SQLite walked every
    // container newest first and checked each against it (bench/dashboard: 60 ms at 100,000).
    const holders = await db.query<{ container_id: string }>(
      `SELECT DISTINCT container_id FROM invoices WHERE ${filter.tenantId !== undefined ? "tenant_id = $2 AND " : ""}number = $1 LIMIT ${MAX_INVOICE_HOLDERS}`,
      filter.tenantId !== undefined ? [filter.invoiceNumber, filter.tenantId] : [filter.invoiceNumber],
    );
    if (holders.length === 0) return pageOf([], filter.limit, containerOf);
    const first = params.length + 1;
    params.push(...holders.map((row) => row.container_id));
    where.push(`id IN (${holders.map((_, i) => `$${first + i}`).join(", ")})`);
  }
  if (filter.from !== undefined) add((p) => `received_at >= ${p}`, filter.from);
  if (filter.to !== undefined) add((p) => `received_at < ${p}`, filter.to);
  if (filter.before !== undefined) add((p) => `seq < ${p}`, filter.before);
  params.push(filter.limit + 1);
  const rows = await db.query<ContainerRow>(
    `SELECT ${COLUMNS} FROM containers${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
     ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  return pageOf(rows, filter.limit, containerOf);
}

/**
 * The containers that reached Done or Error at or after `since` (epoch ms), as they are now: for a
 * follower of many containers (inflow digitize), which asks what finished since it last looked
 * instead of reading every container it waits for again.
 */
export async function containersFinishedSince(
  db: Queryable,
  since: number,
): Promise<Array<Pick<Container, "id" | "state" | "createdCount" | "error">>> {
  const rows = await db.query<Pick<ContainerRow, "id" | "state" | "created_count" | "error">>(
    `SELECT c.id, c.state, c.created_count, c.error FROM container_transitions t JOIN containers c ON c.id = t.container_id
     WHERE t.at >= $1 AND t.state IN ('Done', 'Error')`,
    [since],
  );
  return rows.map((row) => ({
    id: row.id,
    state: row.state,
    createdCount: row.created_count,
    ...(row.error !== null ? { error: row.error } : {}),
  }));
}

/** Where each of these containers is (ids not found are left out): one query for many, for progress displays. */
export async function containerProgress(
  db: Queryable,
  ids: readonly string[],
): Promise<Array<Pick<Container, "id" | "state" | "createdCount" | "error">>> {
  if (ids.length === 0) return [];
  const list =
    db.dialect === "postgres"
      ? "SELECT json_array_elements_text($1::json)"
      : "SELECT value FROM json_each($1)";
  const rows = await db.query<Pick<ContainerRow, "id" | "state" | "created_count" | "error">>(
    `SELECT id, state, created_count, error FROM containers WHERE id IN (${list})`,
    [JSON.stringify(ids)],
  );
  return rows.map((row) => ({
    id: row.id,
    state: row.state,
    createdCount: row.created_count,
    ...(row.error !== null ? { error: row.error } : {}),
  }));
}
