/**
 * The normalized invoice: what every format parser produces. Documented in docs/invoice-model.md and
 * described by invoice.schema.json. Money and quantities are decimal strings ("12.5", "-3"), never floats;
 * dates are ISO `YYYY-MM-DD`.
 */
import { add, type Decimal, divPow10, format, multiply, negate, parseDecimal, sum, ZERO } from "./decimal.js";
import type { Diagnostic } from "./diagnostics.js";
export type InvoiceType = "invoice" | "creditMemo";

export type PartyRole =
  | "supplier"
  | "billTo"
  | "shipTo"
  | "remitTo"
  | "buyer"
  | "shipFrom"
  | "payer"
  | "other";

export type ItemIdKind =
  | "upc"
  | "gtin"
  | "ean"
  | "caseUpc"
  | "vendor"
  | "buyer"
  | "sku"
  | "manufacturer"
  | "catalog"
  | "other";

export interface Address {
  lines: string[];
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
}

export interface Reference {
  /** The format's qualifier (X12 REF01, EDIFACT RFF C506.1, or a CSV column name). */
  qualifier: string;
  value: string;
  description?: string;
}

export interface Party {
  role: PartyRole;
  /** The format's own entity code (N101 `ST`, NAD `DP`, ...), kept because roles group several codes. */
  code: string;
  name?: string;
  additionalNames?: string[];
  /** Id qualifier (N103: 1 DUNS, 92 buyer-assigned, UL GLN; NAD C082.3 agency) and id (N104, NAD C082.1). */
  idQualifier?: string;
  id?: string;
  address?: Address;
  references?: Reference[];
}

export interface DateReference {
  /** X12 DTM01 (011 shipped, 035 delivered) or EDIFACT DTM C507.1 (35 delivery). */
  qualifier: string;
  date: string;
}

export interface Terms {
  typeCode?: string;
  basisDateCode?: string;
  discountPercent?: string;
  discountDueDate?: string;
  discountDays?: string;
  netDueDate?: string;
  netDays?: string;
  discountAmount?: string;
  description?: string;
}

export interface Tax {
  /** Tax type (X12 TXI01 `ST`, `GS`; EDIFACT TAX C241 `VAT`). */
  type?: string;
  amount?: string;
  percent?: string;
  exemptCode?: string;
  taxId?: string;
}

export interface Charge {
  kind: "charge" | "allowance";
  /** X12 SAC02 (D240 freight, C310 discount), EDIFACT ALC C214.1 (ABH, ADO). */
  code?: string;
  description?: string;
  /** Positive for both kinds (`kind` says which way it goes); negated only in credit memos, as all money. */
  amount?: string;
  percent?: string;
  rate?: string;
  /** X12 SAC12 (02 off invoice, 06 charge to be paid by customer). */
  handlingCode?: string;
  taxes?: Tax[];
}

export interface ItemId {
  kind: ItemIdKind;
  /** The format's qualifier: X12 IT106.. (UP, UK, VN, BP), EDIFACT C212.2 (EN, SA, IN). */
  qualifier: string;
  value: string;
}

export interface Pack {
  /** Units per case (PO401), size of a unit (PO402) and its unit (PO403): "6/5 LB" is 6, 5, LB. */
  pack?: string;
  size?: string;
  unit?: string;
  packagingCode?: string;
}

/** A part of a line (X12 SLN): a component of a kit, or an item added to or taken from the line. */
export interface Subline {
  /** SLN01, and SLN02 the line it belongs to when not the enclosing one. */
  lineNumber?: string;
  parentLineNumber?: string;
  /** SLN03: I included, A added, D deleted, S substituted, ... */
  relationship?: string;
  quantity?: string;
  unit?: string;
  unitPrice?: string;
  priceBasis?: string;
  description?: string;
  itemIds: ItemId[];
}

/** How much of a line goes to one place (X12 SDQ: store-level distribution of a line's quantity). */
export interface Destination {
  /** SDQ02: 92 buyer-assigned location, UL GLN, ... */
  qualifier?: string;
  location: string;
  quantity: string;
  unit?: string;
}

/** Carrier details (X12 CAD). */
export interface Carrier {
  /** CAD01: M motor, A air, ... */
  transportMethod?: string;
  equipmentInitial?: string;
  equipmentNumber?: string;
  /** CAD04: Standard Carrier Alpha Code. */
  scac?: string;
  routing?: string;
  statusCode?: string;
  /** CAD07/08: e.g. BM bill of lading number. */
  reference?: Reference;
  serviceLevel?: string;
}

/** One shipment summary line (X12 ISS): units, weight and volume shipped. */
export interface ShipmentSummary {
  units?: string;
  unit?: string;
  weight?: string;
  weightUnit?: string;
  volume?: string;
  volumeUnit?: string;
  description?: string;
}

/** Free-on-board terms (X12 FOB): who pays the freight and where ownership passes. */
export interface Fob {
  /** FOB01: PP prepaid, CC collect, PB customer pickup/backhaul, ... */
  paymentMethod: string;
  locationQualifier?: string;
  location?: string;
  /** FOB04/05: transportation terms (01 Incoterms) and their code (FOB, EXW, ...). */
  termsQualifier?: string;
  terms?: string;
  titleLocationQualifier?: string;
  titleLocation?: string;
  riskOfLossQualifier?: string;
  riskOfLoss?: string;
}

export interface InvoiceLine {
  lineNumber?: string;
  quantity?: string;
  unit?: string;
  unitPrice?: string;
  /** X12 IT105 / EDIFACT PRI price specification (PE per each, HP per hundred). */
  priceBasis?: string;
  /** Extended amount: stated (EDIFACT MOA 203, CSV) or quantity x unit price. */
  amount?: string;
  description?: string;
  itemIds: ItemId[];
  pack?: Pack;
  charges: Charge[];
  taxes: Tax[];
  references?: Reference[];
  dates?: DateReference[];
  /** Parties of this line only (X12 N1 loop inside IT1: a ship-to per line). */
  parties?: Party[];
  sublines?: Subline[];
  destinations?: Destination[];
  carriers?: Carrier[];
}

export interface Totals {
  /** The invoice total stated by the document (X12 TDS01, EDIFACT MOA 77/86/39, CSV total column). */
  stated?: string;
  /** Computed: sum of line amounts. */
  lines: string;
  /** Computed: sum of header and line charges, and of allowances (both positive). */
  charges: string;
  allowances: string;
  /** Computed: sum of header and line tax amounts. */
  tax: string;
  /** X12 TDS02..04. */
  subjectToDiscount?: string;
  discountedAmountDue?: string;
  discountAmount?: string;
  /** Stated line count and hash total (X12 CTT01/02, EDIFACT CNT). */
  lineCount?: number;
  hashTotal?: string;
}

export type SourceFormat = "x12" | "edifact" | "csv" | "json";

export interface SourceParty {
  qualifier?: string;
  id: string;
}

export interface Source {
  format: SourceFormat;
  /** X12 GS08 (or ISA12 without a GS), EDIFACT directory (`D96A`), a CSV profile name. */
  version?: string;
  /** X12 810, EDIFACT INVOIC. */
  documentType?: string;
  sender?: SourceParty;
  receiver?: SourceParty;
  interchangeControlNumber?: string;
  groupControlNumber?: string;
  transactionControlNumber?: string;
  testIndicator?: string;
  /** 1-based ordinals of the first and last segment (X12, EDIFACT) or row (CSV), or the record (JSON). */
  segments?: { first: number; last: number };
  rows?: { first: number; last: number };
  record?: number;
  file?: string;
}

export interface Invoice {
  invoiceNumber: string;
  invoiceDate?: string;
  type: InvoiceType;
  /** The format's document code (X12 BIG07 `DR`/`CR`, EDIFACT BGM 380/381). */
  typeCode?: string;
  purchaseOrder?: { number: string; date?: string; release?: string };
  currency?: string;
  parties: Party[];
  references: Reference[];
  dates: DateReference[];
  terms: Terms[];
  notes: string[];
  lines: InvoiceLine[];
  charges: Charge[];
  taxes: Tax[];
  fob?: Fob;
  carriers?: Carrier[];
  shipments?: ShipmentSummary[];
  /** The amount payable: the stated total when there is one, else lines + charges - allowances + tax. */
  total: string;
  totals: Totals;
  source: Source;
}

/** What a parser yields: invoices and diagnostics, in file order. */
export type ParseEvent =
  | { kind: "invoice"; invoice: Invoice }
  | { kind: "diagnostic"; diagnostic: Diagnostic };

export function emptyInvoice(source: Source): Invoice {
  return {
    invoiceNumber: "",
    type: "invoice",
    parties: [],
    references: [],
    dates: [],
    terms: [],
    notes: [],
    lines: [],
    charges: [],
    taxes: [],
    total: "0",
    totals: { lines: "0", charges: "0", allowances: "0", tax: "0" },
    source,
  };
}

export function emptyLine(): InvoiceLine {
  return { itemIds: [], charges: [], taxes: [] };
}

/** Appends to an optional array field, creating the array on first use. */
export function appendTo<T extends object, K extends keyof T>(
  obj: T,
  key: K,
  item: NonNullable<T[K]> extends (infer E)[] ? E : never,
): void {
  const list = obj[key] as unknown[] | undefined;
  if (list) list.push(item);
  else (obj as Record<K, unknown>)[key] = [item];
}

/** Extended amount from quantity and price; `perPow10` is the price basis (2 for "per hundred"). */
export function extend(
  quantity: string | undefined,
  unitPrice: string | undefined,
  perPow10 = 0,
): string | undefined {
  if (quantity === undefined || unitPrice === undefined) return undefined;
  const product = multiply(quantity, unitPrice);
  if (product === undefined || perPow10 === 0) return product;
  return format(divPow10(parseDecimal(product)!, perPow10));
}

/**
 * Sums of charges, allowances and tax, added up over an invoice's lines and header. One pass that collects
 * the amounts in lists it reuses: this runs for every invoice, and building arrays per line to hand to `sum`
 * was a measurable part of parsing.
 */
const lineAmounts: (string | undefined)[] = [];
const chargeAmounts: (string | undefined)[] = [];
const allowanceAmounts: (string | undefined)[] = [];
const taxAmounts: (string | undefined)[] = [];

function collectCharges(charges: Charge[]): void {
  for (const c of charges) {
    if (c.kind === "charge") chargeAmounts.push(c.amount);
    else if (c.kind === "allowance") allowanceAmounts.push(c.amount);
    if (c.taxes) for (const t of c.taxes) taxAmounts.push(t.amount);
  }
}

/**
 * Fills the computed totals and `total` once all segments/rows of an invoice are read. Charges and allowances
 * are counted as stated (allowances reduce); a credit memo whose document writes positive amounts gets its money
 * negated here, so that summing invoice totals gives what is payable.
 */
export function finishInvoice(invoice: Invoice): Invoice {
  lineAmounts.length = 0;
  chargeAmounts.length = 0;
  allowanceAmounts.length = 0;
  taxAmounts.length = 0;
  for (const t of invoice.taxes) taxAmounts.push(t.amount);
  for (const line of invoice.lines) {
    lineAmounts.push(line.amount);
    for (const t of line.taxes) taxAmounts.push(t.amount);
    if (line.charges.length > 0) collectCharges(line.charges);
  }
  collectCharges(invoice.charges);
  const t = invoice.totals;
  const lines = sum(lineAmounts);
  const charges = sum(chargeAmounts);
  const allowances = sum(allowanceAmounts);
  const tax = sum(taxAmounts);
  t.lines = format(lines);
  t.charges = format(charges);
  t.allowances = format(allowances);
  t.tax = format(tax);
  // The lists hold strings of this invoice only until the next one: emptied so they keep nothing alive.
  lineAmounts.length = 0;
  chargeAmounts.length = 0;
  allowanceAmounts.length = 0;
  taxAmounts.length = 0;
  invoice.total = t.stated ?? format(add(add(add(lines, charges), tax), negate(allowances)));
  if (invoice.type === "creditMemo") negateCreditMemo(invoice);
  return invoice;
}

/** lines + charges - allowances + tax, from the computed totals. */
export function computedTotal(invoice: Invoice): Decimal {
  const t = invoice.totals;
  const parts = [t.lines, t.charges, t.tax].map((s) => parseDecimal(s) ?? ZERO);
  const total = parts.reduce(add, ZERO);
  return add(total, negate(parseDecimal(t.allowances) ?? ZERO));
}

function negateCreditMemo(invoice: Invoice): void {
  const total = parseDecimal(invoice.total);
  // A document that already writes its credit as negative amounts keeps them as they are.
  if (!total || total.units <= 0n) return;
  const neg = (s: string): string => {
    const d = parseDecimal(s);
    return d ? format(negate(d)) : s;
  };
  const negTaxes = (taxes: Tax[] | undefined) => {
    for (const t of taxes ?? []) if (t.amount !== undefined) t.amount = neg(t.amount);
  };
  const negCharges = (charges: Charge[]) => {
    for (const c of charges) {
      if (c.amount !== undefined) c.amount = neg(c.amount);
      negTaxes(c.taxes);
    }
  };
  invoice.total = neg(invoice.total);
  const t = invoice.totals;
  if (t.stated !== undefined) t.stated = neg(t.stated);
  t.lines = neg(t.lines);
  t.charges = neg(t.charges);
  t.allowances = neg(t.allowances);
  t.tax = neg(t.tax);
  negCharges(invoice.charges);
  negTaxes(invoice.taxes);
  for (const line of invoice.lines) {
    if (line.amount !== undefined) line.amount = neg(line.amount);
    if (line.unitPrice !== undefined) line.unitPrice = neg(line.unitPrice);
    negCharges(line.charges);
    negTaxes(line.taxes);
  }
}
