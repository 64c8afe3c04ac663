import type { Queryable } from "../store/types.js";
import { invalidTenant } from "./errors.js";
import { DEFAULT_TENANT } from "./types.js";

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface Tenant {
  id: string;
  name: string;
  createdAt: number;
}

/** Creates a tenant, or leaves an existing one as it is; answers whether it was created. */
export async function createTenant(db: Queryable, tenant: { id: string; name?: string }): Promise<boolean> {
  if (!TENANT_ID.test(tenant.id)) throw invalidTenant(tenant.id);
  const { changes } = await db.run(
    "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    [tenant.id, tenant.name ?? tenant.id, Date.now()],
  );
  return changes > 0;
}

export async function tenantExists(db: Queryable, id: string): Promise<boolean> {
  if (id === DEFAULT_TENANT) return true;
  const rows = await db.query("SELECT 1 FROM tenants WHERE id = $1", [id]);
  return rows.length > 0;
}

export async function listTenants(db: Queryable): Promise<Tenant[]> {
  const rows = await db.query<{ id: string; name: string; created_at: number }>(
    "SELECT id, name, created_at FROM tenants ORDER BY id",
  );
  return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
}
