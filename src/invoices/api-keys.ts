import { createHash } from "node:crypto";
import { randomText } from "../queues/random.js";
import type { Queryable } from "../store/types.js";
import { tenantNotFound } from "./errors.js";
import { newId } from "./ids.js";
import { tenantExists } from "./tenants.js";

/**
 * Tenant API keys. A key is 32 random bytes, so a plain SHA-256 is as good as a slow password
 * hash: nothing to guess. Only the hash is stored; the key is shown once, when created.
 */

export const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  label: string;
  createdAt: number;
}

/** A new key for `tenantId`: `{id, key}`, the key in clear this once. */
export async function createApiKey(
  db: Queryable,
  tenantId: string,
  label = "",
): Promise<{ id: string; key: string }> {
  if (!(await tenantExists(db, tenantId))) throw tenantNotFound(tenantId);
  const id = newId("k_");
  const key = `ik_${randomText(32, "base64url")}`;
  await db.run(
    "INSERT INTO api_keys (id, tenant_id, key_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)",
    [id, tenantId, hashKey(key), label, Date.now()],
  );
  return { id, key };
}

/** The tenant a key belongs to; undefined for a key nobody issued (or one revoked). */
export async function tenantOfApiKey(db: Queryable, key: string): Promise<string | undefined> {
  const [row] = await db.query<{ tenant_id: string }>("SELECT tenant_id FROM api_keys WHERE key_hash = $1", [
    hashKey(key),
  ]);
  return row?.tenant_id;
}

/** Whether any tenant key exists: until one does, loopback callers act as the default tenant. */
export async function hasApiKeys(db: Queryable): Promise<boolean> {
  return (await db.query("SELECT 1 FROM api_keys LIMIT 1")).length > 0;
}

export async function listApiKeys(db: Queryable, tenantId?: string): Promise<ApiKeyInfo[]> {
  const rows = await db.query<{ id: string; tenant_id: string; label: string; created_at: number }>(
    `SELECT id, tenant_id, label, created_at FROM api_keys${tenantId === undefined ? "" : " WHERE tenant_id = $1"}
     ORDER BY created_at, id`,
    tenantId === undefined ? [] : [tenantId],
  );
  return rows.map((row) => ({
    id: row.id,
    tenantId: row.tenant_id,
    label: row.label,
    createdAt: row.created_at,
  }));
}

/** Revokes a key by its id; answers whether there was one. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  return (await db.run("DELETE FROM api_keys WHERE id = $1", [id])).changes > 0;
}
