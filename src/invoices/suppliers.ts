import type { Invoice } from "../formats/invoice.js";
import type { Queryable, SqlValue } from "../store/types.js";
import { newId } from "./ids.js";
import { pageOf } from "./paging.js";
import type { Page, Supplier, SupplierMatch } from "./types.js";

/**
 * Who sent an invoice, as a key suppliers are matched by: an EDI interchange names its sender
 * (X12 ISA06/ISA05, EDIFACT UNB), which identifies the trading partner better than any name in
 * the document; CSV and JSON have only the supplier party, matched by its id, else its name.
 */
export function supplierKeyOf(invoice: Invoice): { matchKey: string; name: string } {
  const party = invoice.parties.find((p) => p.role === "supplier");
  const sender = invoice.source.sender;
  if ((invoice.source.format === "x12" || invoice.source.format === "edifact") && sender?.id) {
    return {
      matchKey: `edi:${(sender.qualifier ?? "").trim()}:${sender.id.trim()}`,
      name: party?.name?.trim() || sender.id.trim(),
    };
  }
  if (party?.id?.trim()) {
    return {
      matchKey: `id:${(party.idQualifier ?? "").trim()}:${party.id.trim()}`,
      name: party.name?.trim() || party.id.trim(),
    };
  }
  if (party?.name?.trim()) {
    const name = party.name.trim();
    return { matchKey: `name:${name.toLowerCase().replace(/\s+/g, " ")}`, name };
  }
  return { matchKey: "unknown", name: "Unknown supplier" };
}

interface SupplierRow {
  seq: number;
  id: string;
  tenant_id: string;
  match_key: string;
  name: string;
  created_at: number;
}

const supplierOf = (row: SupplierRow): Supplier => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  matchKey: row.match_key,
  createdAt: row.created_at,
});

/**
 * The tenant's supplier for this invoice, created on first sight. Concurrent first sightings
 * (two workers, two invoices of one new supplier) create it once: the insert that loses to the
 * unique (tenant, match key) does nothing, and both read the one that won.
 */
export async function matchSupplier(
  db: Queryable,
  tenantId: string,
  invoice: Invoice,
): Promise<{ supplier: Supplier; match: SupplierMatch }> {
  const { matchKey, name } = supplierKeyOf(invoice);
  const select = () =>
    db.query<SupplierRow>(
      "SELECT seq, id, tenant_id, match_key, name, created_at FROM suppliers WHERE tenant_id = $1 AND match_key = $2",
      [tenantId, matchKey],
    );
  const [existing] = await select();
  if (existing) return { supplier: supplierOf(existing), match: "matched" };
  const [inserted] = await db.query<SupplierRow>(
    `INSERT INTO suppliers (id, tenant_id, match_key, name, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, match_key) DO NOTHING RETURNING seq, id, tenant_id, match_key, name, created_at`,
    [newId("s_"), tenantId, matchKey, name, Date.now()],
  );
  if (inserted) return { supplier: supplierOf(inserted), match: "created" };
  const [winner] = await select();
  return { supplier: supplierOf(winner!), match: "matched" };
}

/** A tenant's suppliers (every tenant's without `tenantId`), newest first, paged. */
export async function listSuppliers(
  db: Queryable,
  filter: { tenantId?: string; limit: number; before?: number },
): Promise<Page<Supplier>> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.tenantId !== undefined) {
    params.push(filter.tenantId);
    where.push(`tenant_id = $${params.length}`);
  }
  if (filter.before !== undefined) {
    params.push(filter.before);
    where.push(`seq < $${params.length}`);
  }
  params.push(filter.limit + 1);
  const rows = await db.query<SupplierRow>(
    `SELECT seq, id, tenant_id, match_key, name, created_at FROM suppliers
     ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  return pageOf(rows, filter.limit, supplierOf);
}
