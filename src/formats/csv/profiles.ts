/**
 * CSV profiles: how a supplier's export maps to the invoice model. A profile names, per model field, the
 * column that holds it (by header name or 0-based position), how rows group into invoices (the key), and the
 * supplier's conventions: delimiter, decimal separator, date format, encoding. A header/detail export (one file
 * of invoice headers, one of lines) has `detail` columns for the second file.
 *
 * The built-in profile `lines` recognises common one-row-per-line exports by their header names.
 */
import type { TextEncoding } from "../text.js";
import { TEXT_ENCODINGS } from "../text.js";

/** Invoice-level fields (the same on every row of an invoice). */
export const HEADER_FIELDS = [
  "invoiceNumber",
  "invoiceDate",
  "type",
  "purchaseOrder",
  "purchaseOrderDate",
  "currency",
  "supplierName",
  "supplierId",
  "billToName",
  "billToId",
  "shipToName",
  "shipToId",
  "shipToAddress",
  "shipToCity",
  "shipToState",
  "shipToPostalCode",
  "remitToName",
  "remitToId",
  "terms",
  "dueDate",
  "charges",
  "allowances",
  "taxTotal",
  "total",
  "notes",
] as const;

/** Line-level fields (one line per row). */
export const LINE_FIELDS = [
  "lineNumber",
  "quantity",
  "unit",
  "unitPrice",
  "lineAmount",
  "description",
  "upc",
  "gtin",
  "vendorItem",
  "buyerItem",
  "pack",
  "size",
  "sizeUnit",
  "packSize",
  "lineTax",
] as const;

export type CsvField = (typeof HEADER_FIELDS)[number] | (typeof LINE_FIELDS)[number];
export const CSV_FIELDS: readonly CsvField[] = [...HEADER_FIELDS, ...LINE_FIELDS];

/** A column by header name (matched ignoring case, spaces and punctuation) or by 0-based position. */
export type ColumnRef = string | number;
export type ColumnMap = Partial<Record<CsvField, ColumnRef>>;

export interface CsvProfile {
  name: string;
  /** Field delimiter; default: detected from the first line among `,` `;` TAB `|`. */
  delimiter?: string;
  quote?: string;
  encoding?: TextEncoding;
  /** `auto` reads "1.234,56" and "1,234.56" by the position of the last separator. Default `auto`. */
  decimalSeparator?: "." | "," | "auto";
  /** e.g. `YYYY-MM-DD`, `MM/DD/YYYY`, `DD.MM.YYYY`, `YYYYMMDD`, `M/D/YY`. Default: ISO, YYYYMMDD or MM/DD/YYYY. */
  dateFormat?: string;
  /** Whether the first row names the columns. Default true. */
  headerRow?: boolean;
  columns: ColumnMap;
  /** Fields whose values identify an invoice. Default ["invoiceNumber"]. */
  key?: CsvField[];
  /** Values of the `type` column that mean a credit memo (compared case-insensitively). */
  creditMemoValues?: string[];
  /** Currency when no column gives it. */
  currency?: string;
  /** The detail (lines) file of a header/detail pair: its columns and header-row flag; joined on `key`. */
  detail?: { headerRow?: boolean; columns: ColumnMap };
}

export const DEFAULT_CREDIT_VALUES = ["CR", "C", "CREDIT", "CREDIT MEMO", "CREDITMEMO", "CM", "381"];

/** Header names the built-in profile accepts per field, most specific first (normalized: lowercase alphanumerics). */
export const HEADER_SYNONYMS: Partial<Record<CsvField, string[]>> = {
  invoiceNumber: [
    "invoicenumber",
    "invoiceno",
    "invoicenum",
    "invoiceid",
    "invoice",
    "invnumber",
    "invno",
    "invnum",
    "documentnumber",
    "docnumber",
    "billnumber",
  ],
  invoiceDate: ["invoicedate", "invdate", "documentdate", "billdate", "date"],
  type: ["invoicetype", "documenttype", "doctype", "type"],
  purchaseOrder: [
    "ponumber",
    "purchaseordernumber",
    "purchaseorder",
    "customerpo",
    "pono",
    "po",
    "ordernumber",
  ],
  purchaseOrderDate: ["podate", "orderdate", "purchaseorderdate"],
  currency: ["currency", "currencycode"],
  supplierName: ["suppliername", "vendorname", "supplier", "vendor", "distributor", "seller"],
  supplierId: ["supplierid", "suppliernumber", "vendorid", "vendornumber"],
  billToName: ["billtoname", "customername"],
  billToId: [
    "billtoid",
    "billto",
    "billtonumber",
    "customernumber",
    "customerid",
    "accountnumber",
    "account",
  ],
  shipToName: ["shiptoname", "locationname", "storename", "sitename"],
  shipToId: [
    "shiptoid",
    "shipto",
    "shiptonumber",
    "locationid",
    "locationnumber",
    "location",
    "storenumber",
    "store",
    "site",
  ],
  shipToAddress: ["shiptoaddress", "address"],
  shipToCity: ["shiptocity", "city"],
  shipToState: ["shiptostate", "state"],
  shipToPostalCode: ["shiptozip", "shiptopostalcode", "zip", "zipcode", "postalcode"],
  terms: ["terms", "paymentterms"],
  dueDate: ["duedate", "netduedate", "paymentduedate"],
  charges: ["freight", "deliverycharge", "fuelsurcharge", "charges"],
  allowances: ["allowances", "discount", "discounts"],
  taxTotal: ["invoicetax", "taxtotal", "totaltax"],
  total: ["invoicetotal", "invoiceamount", "totalinvoice", "invoicetotalamount", "totaldue", "amountdue"],
  lineNumber: ["linenumber", "lineno", "line", "lineitem"],
  quantity: [
    "quantityinvoiced",
    "qtyinvoiced",
    "invoicedqty",
    "quantityshipped",
    "qtyshipped",
    "shippedqty",
    "quantity",
    "qty",
  ],
  unit: ["uom", "unitofmeasure", "unit", "um"],
  unitPrice: ["unitprice", "priceperunit", "unitcost", "caseprice", "netprice", "price", "cost"],
  lineAmount: [
    "extendedprice",
    "extendedamount",
    "extprice",
    "extamount",
    "lineamount",
    "linetotal",
    "extension",
    "amount",
    "total",
  ],
  description: [
    "itemdescription",
    "productdescription",
    "description",
    "desc",
    "productname",
    "itemname",
    "product",
  ],
  upc: ["upc", "upccode", "itemupc"],
  gtin: ["gtin", "gtin14", "ean"],
  vendorItem: [
    "vendoritemnumber",
    "vendoritem",
    "supplieritem",
    "itemnumber",
    "itemno",
    "itemcode",
    "productcode",
    "productnumber",
    "partnumber",
    "sku",
    "item",
  ],
  buyerItem: ["buyeritem", "customeritemnumber", "customeritem", "buyerpartnumber"],
  pack: ["pack", "casepack", "packqty"],
  size: ["size", "unitsize"],
  sizeUnit: ["sizeuom", "sizeunit"],
  packSize: ["packsize"],
  lineTax: ["linetax", "taxamount", "tax", "salestax"],
};

export const normalizeHeader = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, "");

/**
 * The built-in profile's columns for a header row, or undefined when the headers do not look like an
 * invoice export (an invoice number and a quantity or amount column are the minimum).
 */
export function recogniseHeaders(headers: string[]): ColumnMap | undefined {
  const normalized = headers.map(normalizeHeader);
  const taken = new Set<number>();
  const columns: ColumnMap = {};
  // Synonyms are listed most specific first: rank 0 of every field is placed before any rank 1, and so on.
  const wanted: { field: CsvField; synonym: string; rank: number }[] = [];
  for (const [field, synonyms] of Object.entries(HEADER_SYNONYMS) as [CsvField, string[]][]) {
    synonyms.forEach((synonym, rank) => {
      wanted.push({ field, synonym, rank });
    });
  }
  wanted.sort((a, b) => a.rank - b.rank || b.synonym.length - a.synonym.length);
  for (const { field, synonym } of wanted) {
    if (columns[field] !== undefined) continue;
    const i = normalized.findIndex((h, idx) => h === synonym && !taken.has(idx));
    if (i >= 0) {
      columns[field] = i;
      taken.add(i);
    }
  }
  if (columns.invoiceNumber === undefined) return undefined;
  if (columns.quantity === undefined && columns.lineAmount === undefined) return undefined;
  return columns;
}

export const BUILTIN_PROFILES: Record<string, CsvProfile> = {
  lines: { name: "lines", columns: {} },
};

/** Checks a profile read from JSON; returns the problems, each a sentence. */
export function checkProfile(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== "object" || value === null) return ["a profile must be a JSON object"];
  const p = value as Record<string, unknown>;
  if (typeof p.name !== "string" || p.name === "") problems.push('"name" must be a non-empty string');
  const checkColumns = (where: string, columns: unknown) => {
    if (typeof columns !== "object" || columns === null) {
      problems.push(`"${where}" must be an object of field: column`);
      return;
    }
    for (const [field, ref] of Object.entries(columns)) {
      if (!CSV_FIELDS.includes(field as CsvField))
        problems.push(`"${where}.${field}" is not a field (${CSV_FIELDS.join(", ")})`);
      if (typeof ref !== "string" && !(Number.isInteger(ref) && (ref as number) >= 0)) {
        problems.push(`"${where}.${field}" must be a header name or a 0-based column position`);
      }
    }
  };
  checkColumns("columns", p.columns);
  if (p.detail !== undefined) checkColumns("detail.columns", (p.detail as { columns?: unknown }).columns);
  if (p.encoding !== undefined && !TEXT_ENCODINGS.includes(p.encoding as TextEncoding)) {
    problems.push(`"encoding" must be one of ${TEXT_ENCODINGS.join(", ")}`);
  }
  if (p.decimalSeparator !== undefined && ![".", ",", "auto"].includes(p.decimalSeparator as string)) {
    problems.push('"decimalSeparator" must be ".", "," or "auto"');
  }
  if (p.key !== undefined && (!Array.isArray(p.key) || p.key.some((k) => !CSV_FIELDS.includes(k)))) {
    problems.push('"key" must be a list of fields');
  }
  return problems;
}
