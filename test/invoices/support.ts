import { emptyInvoice, type Invoice } from "../../src/formats/invoice.js";
import { insertContainer } from "../../src/invoices/containers.js";
import { storeFile } from "../../src/invoices/files.js";
import { stageParsed } from "../../src/invoices/parsed.js";
import type { Container } from "../../src/invoices/types.js";
import type { Store } from "../../src/store/types.js";

/** A normalized invoice as a parser would produce it, from an X12 sender or (CSV) a supplier party. */
export function makeInvoice(fields: {
  number: string;
  date?: string;
  total?: string;
  sender?: string;
  supplier?: string;
  stated?: string;
  lines?: string[];
}): Invoice {
  const invoice = emptyInvoice(
    fields.sender
      ? { format: "x12", sender: { qualifier: "ZZ", id: fields.sender } }
      : { format: "csv", version: "default" },
  );
  invoice.invoiceNumber = fields.number;
  if (fields.date) invoice.invoiceDate = fields.date;
  invoice.currency = "USD";
  if (fields.supplier) invoice.parties.push({ role: "supplier", code: "SU", name: fields.supplier });
  for (const amount of fields.lines ?? [])
    invoice.lines.push({ amount, itemIds: [], charges: [], taxes: [] });
  invoice.totals.lines = fields.lines?.reduce((a, b) => String(Number(a) + Number(b)), "0") ?? "0";
  if (fields.stated !== undefined) invoice.totals.stated = fields.stated;
  invoice.total = fields.total ?? fields.stated ?? invoice.totals.lines;
  return invoice;
}

/** A container of `tenantId` with these invoices parsed and staged (as ParseFile leaves it), in Processing. */
export async function seedContainer(
  store: Store,
  tenantId: string,
  invoices: Invoice[],
  name = "invoices.edi",
): Promise<Container> {
  return store.transaction(async (tx) => {
    const bytes = Buffer.from(`${name} ${Math.random()}`);
    const file = await storeFile(tx, bytes);
    const container = await insertContainer(tx, { tenantId, name, source: "upload", ...file });
    await stageParsed(tx, container.id, { invoices, warnings: [] });
    return container;
  });
}
