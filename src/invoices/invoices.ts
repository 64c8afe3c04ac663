import type { Invoice } from "../formats/invoice.js";
import type { Queryable, SqlValue } from "../store/types.js";
import { getContainer } from "./containers.js";
import { claimFingerprint } from "./duplicates.js";
import { invoiceNotFound, parsedInvoiceNotFound } from "./errors.js";
import { newId } from "./ids.js";
import { pageOf } from "./paging.js";
import { parsedInvoice } from "./parsed.js";
import { matchSupplier } from "./suppliers.js";
import type { InvoiceChecks, InvoiceDetail, InvoiceRecord, Page, SupplierMatch } from "./types.js";

interface InvoiceRow {
  seq: number;
  id: string;
  tenant_id: string;
  supplier_id: string;
  supplier_name: string;
  supplier_match: SupplierMatch;
  container_id: string;
  file_name: string;
  key: number;
  number: string;
  date: string | null;
  total: string;
  currency: string | null;
  type: string;
  duplicate_of: string | null;
  checks: string | null;
  created_at: number;
}

const COLUMNS = `i.seq, i.id, i.tenant_id, i.supplier_id, s.name AS supplier_name, i.supplier_match,
  i.container_id, c.name AS file_name, i.key, i.number, i.date, i.total, i.currency, i.type, i.duplicate_of,
  i.checks, i.created_at`;
const FROM =
  "FROM invoices i JOIN suppliers s ON s.id = i.supplier_id JOIN containers c ON c.id = i.container_id";

function recordOf(row: InvoiceRow): InvoiceRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    supplierId: row.supplier_id,
    supplierName: row.supplier_name,
    containerId: row.container_id,
    fileName: row.file_name,
    key: row.key,
    number: row.number,
    ...(row.date !== null ? { date: row.date } : {}),
    total: row.total,
    ...(row.currency !== null ? { currency: row.currency } : {}),
    type: row.type,
    ...(row.duplicate_of !== null ? { duplicateOf: row.duplicate_of } : {}),
    ...(row.checks !== null ? { checks: JSON.parse(row.checks) as InvoiceChecks } : {}),
    createdAt: row.created_at,
  };
}

/**
 * Creates the invoice a container staged under `key`, at most once: a second call (a redelivered
 * message, a retry after a lost answer, a reprocess) answers the invoice the first created.
 * Matches or creates its supplier and claims its duplicate fingerprint in the same unit of work;
 * run it in a transaction so that all of that commits with the invoice or not at all.
 */
export async function createInvoice(
  db: Queryable,
  containerId: string,
  key: number,
): Promise<{ invoiceId: string; created: boolean }> {
  const existing = await invoiceIdAt(db, containerId, key);
  if (existing) return { invoiceId: existing, created: false };
  const container = await getContainer(db, containerId);
  const invoice = await parsedInvoice(db, containerId, key);
  if (!invoice) throw parsedInvoiceNotFound(containerId, key);
  const { supplier, match } = await matchSupplier(db, container.tenantId, invoice);
  const id = newId("i_");
  const [inserted] = await db.query<{ id: string }>(
    `INSERT INTO invoices (id, tenant_id, supplier_id, supplier_match, container_id, key, number, date, total,
       currency, type, invoice, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (container_id, key) DO NOTHING RETURNING id`,
    [
      id,
      container.tenantId,
      supplier.id,
      match,
      containerId,
      key,
      invoice.invoiceNumber,
      invoice.invoiceDate ?? null,
      invoice.total,
      invoice.currency ?? null,
      invoice.type,
      JSON.stringify(invoice),
      Date.now(),
    ],
  );
  // Another worker created it meanwhile (PostgreSQL: this insert waited for its commit).
  if (!inserted) return { invoiceId: (await invoiceIdAt(db, containerId, key))!, created: false };
  const duplicateOf = await claimFingerprint(db, {
    id,
    supplierId: supplier.id,
    number: invoice.invoiceNumber,
    date: invoice.invoiceDate,
    total: invoice.total,
  });
  if (duplicateOf) await db.run("UPDATE invoices SET duplicate_of = $2 WHERE id = $1", [id, duplicateOf]);
  // The container's supplier is its first invoice's: key 1 sets it, whichever invoice came first.
  await db.run(
    `UPDATE containers SET created_count = created_count + 1,
       supplier_id = CASE WHEN $2 = 1 THEN $3 ELSE COALESCE(supplier_id, $3) END WHERE id = $1`,
    [containerId, key, supplier.id],
  );
  return { invoiceId: id, created: true };
}

async function invoiceIdAt(db: Queryable, containerId: string, key: number): Promise<string | undefined> {
  const [row] = await db.query<{ id: string }>(
    "SELECT id FROM invoices WHERE container_id = $1 AND key = $2",
    [containerId, key],
  );
  return row?.id;
}

/** The invoice with its normalized form; another tenant's (given `tenantId`) is not found. */
export async function getInvoice(db: Queryable, id: string, tenantId?: string): Promise<InvoiceDetail> {
  const [row] = await db.query<InvoiceRow & { invoice: string }>(
    `SELECT ${COLUMNS}, i.invoice ${FROM} WHERE i.id = $1`,
    [id],
  );
  if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) throw invoiceNotFound(id);
  return { ...recordOf(row), invoice: JSON.parse(row.invoice) as Invoice };
}

/** The stored normalized invoice and what creation recorded, for the post-creation checks. */
export async function invoiceForChecks(
  db: Queryable,
  id: string,
): Promise<{ invoice: Invoice; supplierMatch: SupplierMatch; duplicateOf?: string }> {
  const [row] = await db.query<{
    invoice: string;
    supplier_match: SupplierMatch;
    duplicate_of: string | null;
  }>("SELECT invoice, supplier_match, duplicate_of FROM invoices WHERE id = $1", [id]);
  if (!row) throw invoiceNotFound(id);
  return {
    invoice: JSON.parse(row.invoice) as Invoice,
    supplierMatch: row.supplier_match,
    ...(row.duplicate_of !== null ? { duplicateOf: row.duplicate_of } : {}),
  };
}

export interface InvoiceFilter {
  /** Undefined: every tenant's (the service key's view). */
  tenantId?: string;
  supplierId?: string;
  containerId?: string;
  number?: string;
  /** Invoice dates from / to, inclusive, `YYYY-MM-DD`. */
  from?: string;
  to?: string;
  duplicates?: "only" | "exclude";
  limit: number;
  /** Newest first, continuing before this position (a page's `next`)... */
  before?: number;
  /** ...or oldest first, continuing after it (an export's order). */
  after?: number;
  order?: "newest" | "oldest";
  /** With each invoice's normalized form (InvoiceDetail). */
  withInvoice?: boolean;
}

/** Invoices, a page at a time (keyset paging on the creation order), newest first unless told. */
export async function listInvoices(db: Queryable, filter: InvoiceFilter): Promise<Page<InvoiceRecord>> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const add = (condition: (placeholder: string) => string, value: SqlValue) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  const oldest = filter.order === "oldest";
  if (filter.tenantId !== undefined) add((p) => `i.tenant_id = ${p}`, filter.tenantId);
  if (filter.supplierId !== undefined) add((p) => `i.supplier_id = ${p}`, filter.supplierId);
  if (filter.containerId !== undefined) add((p) => `i.container_id = ${p}`, filter.containerId);
  if (filter.number !== undefined) add((p) => `i.number = ${p}`, filter.number);
  if (filter.from !== undefined) add((p) => `i.date >= ${p}`, filter.from);
  if (filter.to !== undefined) add((p) => `i.date <= ${p}`, filter.to);
  if (filter.duplicates === "only") where.push("i.duplicate_of IS NOT NULL");
  if (filter.duplicates === "exclude") where.push("i.duplicate_of IS NULL");
  if (!oldest && filter.before !== undefined) add((p) => `i.seq < ${p}`, filter.before);
  if (oldest && filter.after !== undefined) add((p) => `i.seq > ${p}`, filter.after);
  params.push(filter.limit + 1);
  const rows = await db.query<InvoiceRow & { invoice?: string }>(
    `SELECT ${COLUMNS}${filter.withInvoice ? ", i.invoice" : ""} ${FROM}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
     ORDER BY i.seq ${oldest ? "ASC" : "DESC"} LIMIT $${params.length}`,
    params,
  );
  return pageOf(rows, filter.limit, (row) =>
    row.invoice === undefined
      ? recordOf(row)
      : { ...recordOf(row), invoice: JSON.parse(row.invoice) as Invoice },
  );
}

type ExportFilter = Omit<InvoiceFilter, "limit" | "before" | "after" | "order">;

/** Every invoice the filter selects, oldest first, read a page at a time (for exports of any size). */
export function allInvoices(
  db: Queryable,
  filter: ExportFilter,
  options?: { withInvoice?: false; pageSize?: number },
): AsyncGenerator<InvoiceRecord>;
/** ...each with its normalized form. */
export function allInvoices(
  db: Queryable,
  filter: ExportFilter,
  options: { withInvoice: true; pageSize?: number },
): AsyncGenerator<InvoiceDetail>;
export async function* allInvoices(
  db: Queryable,
  filter: ExportFilter,
  options: { withInvoice?: boolean; pageSize?: number } = {},
): AsyncGenerator<InvoiceRecord | InvoiceDetail> {
  let after: number | undefined;
  for (;;) {
    const page = await listInvoices(db, {
      ...filter,
      limit: options.pageSize ?? 500,
      order: "oldest",
      after,
      withInvoice: options.withInvoice,
    });
    yield* page.items;
    if (page.next === undefined) return;
    after = page.next;
  }
}
