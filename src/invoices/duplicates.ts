import { canonical } from "../formats/decimal.js";
import type { Queryable } from "../store/types.js";

/**
 * Duplicates: invoices with the same supplier (so the same tenant), number, date and total as an
 * earlier one, from any container. The first invoice to claim a fingerprint is the original;
 * every later one is flagged with its id and kept. The claim is an insert on the fingerprint's
 * primary key, so two duplicates created at the same moment on two workers still agree on which
 * came first (the second waits for the first to commit, then finds its claim).
 */

/** "12.50", "12.5" and "+012.5" are one total. */
export function fingerprintTotal(total: string): string {
  const text = canonical(total) ?? total;
  const shortest = text.includes(".") ? text.replace(/\.?0+$/, "") : text;
  return shortest === "-0" ? "0" : shortest;
}

/** Claims the fingerprint for `invoiceId`; answers the id of the invoice it duplicates, if any. */
export async function claimFingerprint(
  db: Queryable,
  invoice: { id: string; supplierId: string; number: string; date?: string; total: string },
): Promise<string | undefined> {
  const key = [invoice.supplierId, invoice.number, invoice.date ?? "", fingerprintTotal(invoice.total)];
  const [claimed] = await db.query<{ first_invoice_id: string }>(
    `INSERT INTO invoice_fingerprints (supplier_id, number, date, total, first_invoice_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (supplier_id, number, date, total) DO NOTHING RETURNING first_invoice_id`,
    [...key, invoice.id],
  );
  if (claimed) return undefined;
  const [first] = await db.query<{ first_invoice_id: string }>(
    "SELECT first_invoice_id FROM invoice_fingerprints WHERE supplier_id = $1 AND number = $2 AND date = $3 AND total = $4",
    key,
  );
  return first!.first_invoice_id;
}
