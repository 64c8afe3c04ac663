import { compare, format, parseDecimal } from "../formats/decimal.js";
import { computedTotal, type Invoice } from "../formats/invoice.js";
import type { Queryable } from "../store/types.js";
import { invoiceForChecks } from "./invoices.js";
import type { InvoiceChecks, SupplierMatch } from "./types.js";

/**
 * Whether the stated total is what the lines, charges, allowances and tax add up to. An invoice
 * that states no total, or has no lines to add up (a CSV summary row), has nothing to disagree.
 */
export function totalsCheck(invoice: Invoice): string {
  const stated = invoice.totals.stated === undefined ? undefined : parseDecimal(invoice.totals.stated);
  if (stated === undefined || invoice.lines.length === 0) return "ok";
  const computed = computedTotal(invoice);
  return compare(stated, computed) === 0
    ? "ok"
    : `mismatch: stated ${invoice.totals.stated}, computed ${format(computed)}`;
}

export interface CheckResult {
  supplier: SupplierMatch;
  totals: string;
  duplicateOf?: string;
}

/**
 * The post-creation checks of an invoice: whether its supplier was matched or created (decided
 * at creation), its totals, and whether it duplicates an earlier invoice (claimed at creation).
 * Stores them on the invoice; running them again stores the same.
 */
export async function runChecks(db: Queryable, invoiceId: string): Promise<CheckResult> {
  const { invoice, supplierMatch, duplicateOf } = await invoiceForChecks(db, invoiceId);
  const checks: InvoiceChecks = {
    supplier: supplierMatch,
    totals: totalsCheck(invoice),
    duplicate: duplicateOf !== undefined,
  };
  await db.run("UPDATE invoices SET checks = $2 WHERE id = $1", [invoiceId, JSON.stringify(checks)]);
  return { supplier: checks.supplier, totals: checks.totals, ...(duplicateOf ? { duplicateOf } : {}) };
}
