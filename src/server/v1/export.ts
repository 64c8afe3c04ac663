import type { InvoiceDetail, InvoiceRecord } from "../../invoices/types.js";
import { invoiceDetailJson } from "./representation.js";

/**
 * Invoice exports for accounting imports. CSV: one row per invoice, the columns an import maps
 * (RFC 4180: CRLF, fields quoted when they hold a comma, quote or line break). NDJSON: one
 * invoice per line, with its normalized form, for imports that want the lines too.
 */

export const EXPORT_FORMATS = Object.freeze(["csv", "ndjson"] as const);
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CSV_COLUMNS = Object.freeze([
  "id",
  "number",
  "date",
  "supplier",
  "total",
  "currency",
  "container",
  "file",
  "duplicateOf",
] as const);

export function csvField(value: string | undefined): string {
  if (value === undefined) return "";
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(",")}\r\n`;

export function csvRow(invoice: InvoiceRecord): string {
  return `${[
    invoice.id,
    invoice.number,
    invoice.date,
    invoice.supplierName,
    invoice.total,
    invoice.currency,
    invoice.containerId,
    invoice.fileName,
    invoice.duplicateOf,
  ]
    .map(csvField)
    .join(",")}\r\n`;
}

export const ndjsonLine = (invoice: InvoiceDetail): string =>
  `${JSON.stringify(invoiceDetailJson(invoice))}\n`;
