import type { Queryable } from "../store/types.js";
import type { RemoteEntry } from "./transport.js";

/**
 * What each source took, remembered two ways (tables `source_files` and `source_hashes`):
 * - by listing: path, size and modification time. A re-poll skips such a file without fetching
 *   it; a file rewritten in place (another size or time) is fetched again, and taken only if its
 *   bytes are new.
 * - by content: SHA-256. The same bytes under another name, or rewritten with the same bytes, make
 *   no second container. The hash is claimed before the container is made, so two polls of one
 *   source at once never both make one.
 */
export interface SourceRef {
  tenantId: string;
  name: string;
}

/** Whether this listing of a file (path, size, time) was taken before. */
export async function takenByListing(db: Queryable, source: SourceRef, entry: RemoteEntry): Promise<boolean> {
  const rows = await db.query(
    "SELECT 1 FROM source_files WHERE tenant_id = $1 AND source_name = $2 AND path = $3 AND size = $4 AND mtime = $5",
    [source.tenantId, source.name, entry.name, entry.size, entry.mtime],
  );
  return rows.length > 0;
}

/**
 * A claim whose container was never recorded this long after it was made belongs to a poll that
 * died between claiming and receiving: a later poll may take the bytes over.
 */
export const STALE_CLAIM_MILLIS = 10 * 60_000;

/**
 * Claims these bytes for a new container: true when no poll of the source took them before (or
 * its claim went stale); false (and the container that has them, when known) when one did.
 */
export async function claimHash(
  db: Queryable,
  source: SourceRef,
  sha256: string,
  now = Date.now(),
): Promise<{ claimed: true } | { claimed: false; containerId?: string }> {
  const { changes } = await db.run(
    `INSERT INTO source_hashes (tenant_id, source_name, sha256, container_id, taken_at)
     VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (tenant_id, source_name, sha256) DO NOTHING`,
    [source.tenantId, source.name, sha256, now],
  );
  if (changes > 0) return { claimed: true };
  const takenOver = await db.run(
    `UPDATE source_hashes SET taken_at = $4
     WHERE tenant_id = $1 AND source_name = $2 AND sha256 = $3 AND container_id IS NULL AND taken_at < $5`,
    [source.tenantId, source.name, sha256, now, now - STALE_CLAIM_MILLIS],
  );
  if (takenOver.changes > 0) return { claimed: true };
  const [row] = await db.query<{ container_id: string | null }>(
    "SELECT container_id FROM source_hashes WHERE tenant_id = $1 AND source_name = $2 AND sha256 = $3",
    [source.tenantId, source.name, sha256],
  );
  return row?.container_id ? { claimed: false, containerId: row.container_id } : { claimed: false };
}

/** Gives up a claim whose container could not be made, so a later poll tries the bytes again. */
export async function releaseHash(db: Queryable, source: SourceRef, sha256: string): Promise<void> {
  await db.run(
    "DELETE FROM source_hashes WHERE tenant_id = $1 AND source_name = $2 AND sha256 = $3 AND container_id IS NULL",
    [source.tenantId, source.name, sha256],
  );
}

/** Names the container claimed bytes became: the claim is settled, never taken over. */
export async function settleHash(
  db: Queryable,
  source: SourceRef,
  sha256: string,
  containerId: string,
): Promise<void> {
  await db.run(
    "UPDATE source_hashes SET container_id = $4, taken_at = $5 WHERE tenant_id = $1 AND source_name = $2 AND sha256 = $3",
    [source.tenantId, source.name, sha256, containerId, Date.now()],
  );
}

/**
 * Remembers a file's listing as taken, with its bytes' hash and the container they became (or
 * the earlier one, for a duplicate; none for a zip, whose files each have theirs).
 */
export async function recordTaken(
  db: Queryable,
  source: SourceRef,
  entry: RemoteEntry,
  taken: { sha256: string; containerId?: string },
): Promise<void> {
  await db.run(
    `INSERT INTO source_files (tenant_id, source_name, path, size, mtime, sha256, container_id, taken_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant_id, source_name, path, size, mtime) DO NOTHING`,
    [
      source.tenantId,
      source.name,
      entry.name,
      entry.size,
      entry.mtime,
      taken.sha256,
      taken.containerId ?? null,
      Date.now(),
    ],
  );
}

/** Forgets everything a source took (the source is removed: one added again under its name starts afresh). */
export async function forgetTaken(db: Queryable, source: SourceRef): Promise<void> {
  await db.run("DELETE FROM source_files WHERE tenant_id = $1 AND source_name = $2", [
    source.tenantId,
    source.name,
  ]);
  await db.run("DELETE FROM source_hashes WHERE tenant_id = $1 AND source_name = $2", [
    source.tenantId,
    source.name,
  ]);
}
