import { parseScheduleExpression } from "../functions/schedule-expressions.js";
import { tenantNotFound } from "../invoices/errors.js";
import { tenantExists } from "../invoices/tenants.js";
import type { Queryable, Store } from "../store/types.js";
import { emailAddressTaken, invalidSource, sourceExists, sourceNotFound } from "./errors.js";
import { checkSettings } from "./settings.js";
import { forgetTaken } from "./taken.js";
import type { Source, SourceKind } from "./types.js";

/** Sources are kept per tenant in table `sources`, their settings as JSON text. */

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface NewSource {
  tenantId: string;
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  schedule?: string;
  enabled?: boolean;
}

interface SourceRow {
  tenant_id: string;
  name: string;
  kind: string;
  settings: string;
  schedule: string | null;
  enabled: number;
  created_at: number;
  last_poll_at: number | null;
  files_taken: number;
  last_error: string | null;
}

const COLUMNS =
  "tenant_id, name, kind, settings, schedule, enabled, created_at, last_poll_at, files_taken, last_error";

function fromRow(row: SourceRow): Source {
  return {
    tenantId: row.tenant_id,
    name: row.name,
    kind: row.kind as SourceKind,
    settings: JSON.parse(row.settings),
    ...(row.schedule !== null ? { schedule: row.schedule } : {}),
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    ...(row.last_poll_at !== null ? { lastPollAt: Number(row.last_poll_at) } : {}),
    filesTaken: Number(row.files_taken),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  } as Source;
}

export async function addSource(db: Queryable, input: NewSource): Promise<Source> {
  if (!SOURCE_NAME.test(input.name)) {
    throw invalidSource(
      `Invalid source name ${JSON.stringify(input.name)}: 1 to 64 of A-Za-z0-9_.-, starting with a letter or digit.`,
    );
  }
  if (!(await tenantExists(db, input.tenantId))) throw tenantNotFound(input.tenantId);
  const settings = checkSettings(input.kind as SourceKind, input.settings);
  const address = "address" in settings ? settings.address : null;
  if (address !== null && input.schedule !== undefined) {
    throw invalidSource("An email source is not polled: it takes no schedule.");
  }
  if (address !== null && (await findEmailSource(db, address))) throw emailAddressTaken(address);
  if (input.schedule !== undefined) {
    try {
      parseScheduleExpression(input.schedule, "UTC");
    } catch (error) {
      throw invalidSource((error as Error).message);
    }
  }
  const { changes } = await db
    .run(
      `INSERT INTO sources (tenant_id, name, kind, settings, schedule, enabled, created_at, files_taken, email_address)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT (tenant_id, name) DO NOTHING`,
      [
        input.tenantId,
        input.name,
        input.kind,
        JSON.stringify(settings),
        input.schedule ?? null,
        input.enabled === false ? 0 : 1,
        Date.now(),
        address,
      ],
    )
    .catch(async (error: unknown) => {
      // Another source took the address between the look and the insert.
      if (address !== null && (await findEmailSource(db, address))) throw emailAddressTaken(address);
      throw error;
    });
  if (changes === 0) throw sourceExists(input.tenantId, input.name);
  return getSource(db, input.tenantId, input.name);
}

export async function findSource(db: Queryable, tenantId: string, name: string): Promise<Source | undefined> {
  const [row] = await db.query<SourceRow>(
    `SELECT ${COLUMNS} FROM sources WHERE tenant_id = $1 AND name = $2`,
    [tenantId, name],
  );
  return row ? fromRow(row) : undefined;
}

export async function getSource(db: Queryable, tenantId: string, name: string): Promise<Source> {
  const source = await findSource(db, tenantId, name);
  if (!source) throw sourceNotFound(tenantId, name);
  return source;
}

/** The email source mail to `address` is for, whatever its tenant (addresses are unique). */
export async function findEmailSource(db: Queryable, address: string): Promise<Source | undefined> {
  const [row] = await db.query<SourceRow>(`SELECT ${COLUMNS} FROM sources WHERE email_address = $1`, [
    address.toLowerCase(),
  ]);
  return row ? fromRow(row) : undefined;
}

/** A tenant's sources, or every tenant's, by tenant and name. */
export async function listSources(db: Queryable, tenantId?: string): Promise<Source[]> {
  const rows =
    tenantId === undefined
      ? await db.query<SourceRow>(`SELECT ${COLUMNS} FROM sources ORDER BY tenant_id, name`)
      : await db.query<SourceRow>(`SELECT ${COLUMNS} FROM sources WHERE tenant_id = $1 ORDER BY name`, [
          tenantId,
        ]);
  return rows.map(fromRow);
}

/** Removes a source and what it remembers taking; false when there was none. */
export async function removeSource(store: Store, tenantId: string, name: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const { changes } = await tx.run("DELETE FROM sources WHERE tenant_id = $1 AND name = $2", [
      tenantId,
      name,
    ]);
    await forgetTaken(tx, { tenantId, name });
    return changes > 0;
  });
}

/** Records a poll's end: its time, the files it took, and its error (none clears the last one). */
export async function recordPoll(
  db: Queryable,
  source: { tenantId: string; name: string },
  poll: { at: number; taken: number; error?: string },
): Promise<void> {
  await db.run(
    `UPDATE sources SET last_poll_at = $3, files_taken = files_taken + $4, last_error = $5
     WHERE tenant_id = $1 AND name = $2`,
    [source.tenantId, source.name, poll.at, poll.taken, poll.error ?? null],
  );
}
