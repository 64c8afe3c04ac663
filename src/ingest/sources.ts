import { isAbsolute } from "node:path";
import { parseScheduleExpression } from "../functions/schedule-expressions.js";
import { tenantNotFound } from "../invoices/errors.js";
import { tenantExists } from "../invoices/tenants.js";
import { DEFAULT_MAX_FILE_BYTES } from "../invoices/types.js";
import type { Queryable, Store } from "../store/types.js";
import { invalidSource, sourceExists, sourceNotFound } from "./errors.js";
import { forgetTaken } from "./taken.js";
import { compileGlob } from "./transport.js";
import {
  AFTER_ACTIONS,
  type AfterAction,
  SOURCE_KINDS,
  type Source,
  type SourceKind,
  type SourceSettings,
} from "./types.js";

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
    settings: JSON.parse(row.settings) as SourceSettings,
    ...(row.schedule !== null ? { schedule: row.schedule } : {}),
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    ...(row.last_poll_at !== null ? { lastPollAt: Number(row.last_poll_at) } : {}),
    filesTaken: Number(row.files_taken),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}

/**
 * A kind's settings, checked and with their defaults: only known fields are kept, so nothing
 * unexpected (a password typed into the wrong field) is stored. ftp/sftp/email add their case.
 */
export function checkSettings(kind: string, settings: Record<string, unknown>): SourceSettings {
  if (!(SOURCE_KINDS as readonly string[]).includes(kind)) {
    throw invalidSource(`Unknown kind ${JSON.stringify(kind)}: one of ${SOURCE_KINDS.join(", ")}.`);
  }
  const after = (settings.after ?? "keep") as AfterAction;
  if (!AFTER_ACTIONS.includes(after)) {
    throw invalidSource(`Invalid after-action ${JSON.stringify(after)}: one of ${AFTER_ACTIONS.join(", ")}.`);
  }
  const archive = settings.archive;
  if (archive !== undefined && (typeof archive !== "string" || archive.length === 0)) {
    throw invalidSource("The archive must be a directory name.");
  }
  if (after === "move" && archive === undefined) {
    throw invalidSource("Moving taken files needs an archive directory (--archive DIR).");
  }
  if (after !== "move" && archive !== undefined) {
    throw invalidSource("An archive directory is only for --after move.");
  }
  const pattern = settings.pattern;
  if (pattern !== undefined) {
    try {
      compileGlob(pattern as string);
    } catch (error) {
      throw invalidSource((error as Error).message);
    }
  }
  const maxFileBytes = settings.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (typeof maxFileBytes !== "number" || !Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) {
    throw invalidSource("The size limit must be a whole number of bytes, at least 1.");
  }
  const minAgeSeconds = settings.minAgeSeconds;
  if (
    minAgeSeconds !== undefined &&
    (typeof minAgeSeconds !== "number" || !Number.isSafeInteger(minAgeSeconds) || minAgeSeconds < 0)
  ) {
    throw invalidSource("The minimum age must be a whole number of seconds.");
  }
  const common = {
    ...(pattern !== undefined ? { pattern: pattern as string } : {}),
    after,
    ...(archive !== undefined ? { archive } : {}),
    maxFileBytes,
    ...(minAgeSeconds ? { minAgeSeconds } : {}),
  };
  // The only kind so far.
  const path = settings.path;
  if (typeof path !== "string" || !isAbsolute(path)) {
    throw invalidSource("A folder source needs the drop directory's absolute path.");
  }
  return { path, ...common };
}

export async function addSource(db: Queryable, input: NewSource): Promise<Source> {
  if (!SOURCE_NAME.test(input.name)) {
    throw invalidSource(
      `Invalid source name ${JSON.stringify(input.name)}: 1 to 64 of A-Za-z0-9_.-, starting with a letter or digit.`,
    );
  }
  if (!(await tenantExists(db, input.tenantId))) throw tenantNotFound(input.tenantId);
  const settings = checkSettings(input.kind, input.settings);
  if (input.schedule !== undefined) {
    try {
      parseScheduleExpression(input.schedule, "UTC");
    } catch (error) {
      throw invalidSource((error as Error).message);
    }
  }
  const { changes } = await db.run(
    `INSERT INTO sources (tenant_id, name, kind, settings, schedule, enabled, created_at, files_taken)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0) ON CONFLICT (tenant_id, name) DO NOTHING`,
    [
      input.tenantId,
      input.name,
      input.kind,
      JSON.stringify(settings),
      input.schedule ?? null,
      input.enabled === false ? 0 : 1,
      Date.now(),
    ],
  );
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
