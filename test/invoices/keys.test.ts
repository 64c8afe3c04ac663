import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiKey,
  hasApiKeys,
  hashKey,
  listApiKeys,
  revokeApiKey,
  tenantOfApiKey,
} from "../../src/invoices/api-keys.js";
import { serviceKey } from "../../src/invoices/service-key.js";
import { createTenant, listTenants, tenantExists } from "../../src/invoices/tenants.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

describe.each(BACKENDS)("tenants and keys on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;

  beforeAll(async () => {
    store = await database.open();
  });
  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  it("has the default tenant from the start and creates others once", async () => {
    expect(await tenantExists(store, "default")).toBe(true);
    expect(await createTenant(store, { id: "acme", name: "Acme" })).toBe(true);
    expect(await createTenant(store, { id: "acme", name: "Other" })).toBe(false);
    expect((await listTenants(store)).map((t) => [t.id, t.name])).toEqual([
      ["acme", "Acme"],
      ["default", "Default"],
    ]);
    await expect(createTenant(store, { id: "no spaces" })).rejects.toMatchObject({ name: "InvalidTenant" });
  });

  it("stores API keys as hashes only and maps a key to its tenant", async () => {
    expect(await hasApiKeys(store)).toBe(false);
    const { id, key } = await createApiKey(store, "acme", "ci");
    expect(await hasApiKeys(store)).toBe(true);
    expect(await tenantOfApiKey(store, key)).toBe("acme");
    expect(await tenantOfApiKey(store, `${key}x`)).toBeUndefined();
    const rows = await store.query<Record<string, unknown>>("SELECT * FROM api_keys");
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(rows[0]!.key_hash).toBe(hashKey(key));
    expect((await listApiKeys(store, "acme")).map((k) => [k.id, k.label])).toEqual([[id, "ci"]]);
    await expect(createApiKey(store, "nobody")).rejects.toMatchObject({ name: "TenantNotFound" });
    expect(await revokeApiKey(store, id)).toBe(true);
    expect(await tenantOfApiKey(store, key)).toBeUndefined();
  });

  it("generates the service key once, the same for every process that asks", async () => {
    const other = await database.open();
    try {
      const keys = await Promise.all([
        serviceKey(store),
        serviceKey(other),
        serviceKey(store),
        serviceKey(other),
      ]);
      expect(new Set(keys).size).toBe(1);
      expect(keys[0]).toMatch(/^isk_[A-Za-z0-9_-]{43}$/);
      expect(await serviceKey(other)).toBe(keys[0]);
    } finally {
      await other.close();
    }
  });
});
