/**
 * X12 810 (invoice) to the Inflow invoice model, for 4010, 4030 and 5010 (the 810 segments used here did not
 * change between them). Segments are mapped as they arrive, so memory is one invoice, not its segments.
 * Numeric types: `R` (explicit decimal point) for IT102/IT104/TXI02/CTP03, `N2` (implied 2 decimals) for
 * TDS01-04, SAC05 and ITD08. Business checks (totals, CTT) are warnings.
 */
import {
  abs,
  canonical,
  compare,
  format,
  impliedDecimal,
  parseDecimal,
  round,
  sum,
  ZERO,
} from "../decimal.js";
import { type AckCodes, type Diagnostic, diagnostic, type Severity } from "../diagnostics.js";
import {
  appendTo,
  type Charge,
  computedTotal,
  emptyInvoice,
  emptyLine,
  extend,
  finishInvoice,
  type Invoice,
  type InvoiceLine,
  type ItemIdKind,
  type Party,
  type PartyRole,
  type Source,
  type Tax,
} from "../invoice.js";
import type { SetInfo } from "./envelope.js";
import type { Segment } from "./tokenizer.js";

const PARTY_ROLES: Record<string, PartyRole> = {
  SU: "supplier",
  SE: "supplier",
  VN: "supplier",
  II: "supplier",
  BT: "billTo",
  ST: "shipTo",
  RE: "remitTo",
  RI: "remitTo",
  PE: "remitTo",
  BY: "buyer",
  SF: "shipFrom",
  PR: "payer",
};

const ITEM_ID_KINDS: Record<string, ItemIdKind> = {
  UP: "upc",
  UI: "upc",
  UK: "gtin",
  UA: "caseUpc",
  UN: "caseUpc",
  EN: "ean",
  EA: "ean",
  VN: "vendor",
  VP: "vendor",
  VA: "vendor",
  VC: "catalog",
  BP: "buyer",
  IN: "buyer",
  PI: "buyer",
  CB: "buyer",
  SK: "sku",
  MG: "manufacturer",
  MF: "manufacturer",
};

/** Price basis codes that divide the unit price (per hundred, per thousand): power of ten. */
const PRICE_BASIS_POW10: Record<string, number> = { HP: 2, TP: 3 };

const CREDIT_CODES = new Set(["CR", "CN"]);

/** Segments that continue an N1 loop. */
const PARTY_LOOP = new Set(["N1", "N2", "N3", "N4", "REF", "PER"]);

export interface Invoice810 {
  segment(seg: Segment, position: number): void;
  /** The invoice, or undefined when the set had no BIG (no invoice number to stand on). */
  finish(): Invoice | undefined;
}

export function createInvoice810(set: SetInfo, report: (d: Diagnostic) => void, file?: string): Invoice810 {
  const g = set.group;
  const ic = g.interchange;
  const source: Source = { format: "x12", documentType: set.id };
  const version = g.version || ic.version;
  if (version) source.version = version;
  if (ic.senderId) source.sender = { qualifier: ic.senderQualifier, id: ic.senderId };
  if (ic.receiverId) source.receiver = { qualifier: ic.receiverQualifier, id: ic.receiverId };
  if (ic.controlNumber) source.interchangeControlNumber = ic.controlNumber;
  if (g.controlNumber) source.groupControlNumber = g.controlNumber;
  source.transactionControlNumber = set.controlNumber;
  if (ic.usage) source.testIndicator = ic.usage;
  if (file) source.file = file;

  const inv = emptyInvoice(source);
  let area: "header" | "line" | "summary" = "header";
  let party: Party | undefined;
  let line: InvoiceLine | undefined;
  let charge: Charge | undefined;
  let sawBig = false;
  let tds: Segment | undefined;
  let ctt: Segment | undefined;
  let position = 0;

  const say = (
    code: string,
    severity: Severity,
    message: string,
    seg: Segment,
    element?: number,
    ack?: AckCodes,
    value?: string,
  ) => {
    const loc: Diagnostic["location"] = { segment: seg.index, segmentId: seg.id, setPosition: position };
    if (element !== undefined) loc.element = element;
    const extra: { ack?: AckCodes; value?: string } = {};
    if (ack) extra.ack = ack;
    if (value !== undefined) extra.value = value;
    report(diagnostic(code, severity, message, loc, extra));
  };

  const v = (seg: Segment, i: number): string | undefined => {
    const s = seg.elements[i];
    if (s === undefined || s === "") return undefined;
    // Trim only when there is something to trim: most values have no padding.
    if (s.charCodeAt(0) !== 32 && s.charCodeAt(s.length - 1) !== 32) return s;
    const t = s.trim();
    return t === "" ? undefined : t;
  };

  /** `R` numbers: explicit decimal point, optional sign. */
  const real = (seg: Segment, i: number): string | undefined => {
    const s = v(seg, i);
    if (s === undefined) return undefined;
    const d = canonical(s);
    if (d !== undefined) return d;
    say(
      "X12.InvalidNumber",
      "error",
      `${seg.id}${pad(i)} "${s}" is not a number`,
      seg,
      i,
      { segment: "8", element: "6" },
      s,
    );
    return undefined;
  };

  /** `N2` numbers: implied two decimals. A decimal point written anyway is read as written, with a warning. */
  const n2 = (seg: Segment, i: number): string | undefined => {
    const s = v(seg, i);
    if (s === undefined) return undefined;
    const d = impliedDecimal(s, 2);
    if (d !== undefined) return d;
    const explicit = parseDecimal(s);
    if (explicit) {
      say(
        "X12.ExplicitDecimalInN2",
        "warning",
        `${seg.id}${pad(i)} "${s}" has a decimal point although the element has 2 implied decimals; read as ${format(explicit)}`,
        seg,
        i,
      );
      return format(explicit);
    }
    say(
      "X12.InvalidNumber",
      "error",
      `${seg.id}${pad(i)} "${s}" is not a number`,
      seg,
      i,
      { segment: "8", element: "6" },
      s,
    );
    return undefined;
  };

  const date = (seg: Segment, i: number): string | undefined => {
    const s = v(seg, i);
    if (s === undefined) return undefined;
    const iso = isoDate(s);
    if (iso) return iso;
    say(
      "X12.InvalidDate",
      "error",
      `${seg.id}${pad(i)} "${s}" is not a CCYYMMDD date`,
      seg,
      i,
      { segment: "8", element: "8" },
      s,
    );
    return undefined;
  };

  const setIf = <T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined) => {
    if (value !== undefined) obj[key] = value;
  };

  const closeLine = () => {
    if (!line) return;
    if (line.amount === undefined) {
      const amount = extend(line.quantity, line.unitPrice, PRICE_BASIS_POW10[line.priceBasis ?? ""] ?? 0);
      if (amount !== undefined) line.amount = amount;
    }
    line = undefined;
  };

  const handlers: Record<string, (seg: Segment) => void> = {
    BIG(seg) {
      sawBig = true;
      setIf(inv, "invoiceDate", date(seg, 1));
      const number = v(seg, 2);
      if (number) inv.invoiceNumber = number;
      else
        say("X12.MissingElement", "error", "BIG02 (invoice number) is empty", seg, 2, {
          segment: "8",
          element: "1",
        });
      const po = v(seg, 4);
      if (po) {
        inv.purchaseOrder = { number: po };
        setIf(inv.purchaseOrder, "date", date(seg, 3));
        setIf(inv.purchaseOrder, "release", v(seg, 5));
      }
      const type = v(seg, 7);
      if (type) {
        inv.typeCode = type;
        if (CREDIT_CODES.has(type)) inv.type = "creditMemo";
      }
    },
    NTE(seg) {
      const text = v(seg, 2);
      if (text) inv.notes.push(text);
    },
    CUR(seg) {
      if (area === "header") setIf(inv, "currency", v(seg, 2));
    },
    REF(seg) {
      const qualifier = v(seg, 1) ?? "";
      const value = v(seg, 2) ?? v(seg, 3) ?? "";
      const ref = { qualifier, value, ...(v(seg, 3) && v(seg, 2) ? { description: v(seg, 3)! } : {}) };
      if (party) appendTo(party, "references", ref);
      else if (line) appendTo(line, "references", ref);
      else {
        inv.references.push(ref);
        if (qualifier === "PO" && !inv.purchaseOrder && value) inv.purchaseOrder = { number: value };
      }
    },
    N1(seg) {
      if (area !== "header") return;
      const code = v(seg, 1) ?? "";
      party = { role: PARTY_ROLES[code] ?? "other", code };
      setIf(party, "name", v(seg, 2));
      setIf(party, "idQualifier", v(seg, 3));
      setIf(party, "id", v(seg, 4));
      inv.parties.push(party);
    },
    N2(seg) {
      if (!party) return;
      for (const i of [1, 2]) {
        const name = v(seg, i);
        if (name) appendTo(party, "additionalNames", name);
      }
    },
    N3(seg) {
      if (!party) return;
      party.address ??= { lines: [] };
      for (const i of [1, 2]) {
        const text = v(seg, i);
        if (text) party.address.lines.push(text);
      }
    },
    N4(seg) {
      if (!party) return;
      party.address ??= { lines: [] };
      const address = party.address;
      setIf(address, "city", v(seg, 1));
      setIf(address, "state", v(seg, 2));
      setIf(address, "postalCode", v(seg, 3));
      setIf(address, "country", v(seg, 4));
    },
    ITD(seg) {
      const terms = {};
      const t: Invoice["terms"][number] = terms;
      setIf(t, "typeCode", v(seg, 1));
      setIf(t, "basisDateCode", v(seg, 2));
      setIf(t, "discountPercent", real(seg, 3));
      setIf(t, "discountDueDate", date(seg, 4));
      setIf(t, "discountDays", real(seg, 5));
      setIf(t, "netDueDate", date(seg, 6));
      setIf(t, "netDays", real(seg, 7));
      setIf(t, "discountAmount", n2(seg, 8));
      setIf(t, "description", v(seg, 12));
      inv.terms.push(t);
    },
    DTM(seg) {
      const d = date(seg, 2);
      if (!d) return;
      const ref = { qualifier: v(seg, 1) ?? "", date: d };
      if (line) appendTo(line, "dates", ref);
      else inv.dates.push(ref);
    },
    IT1(seg) {
      closeLine();
      area = "line";
      const l = emptyLine();
      line = l;
      inv.lines.push(l);
      // Plain assignments, not setIf: this runs for every line and a generic keyed store is slow.
      const lineNumber = v(seg, 1);
      if (lineNumber !== undefined) l.lineNumber = lineNumber;
      const quantity = real(seg, 2);
      if (quantity !== undefined) l.quantity = quantity;
      const unit = v(seg, 3);
      if (unit !== undefined) l.unit = unit;
      const unitPrice = real(seg, 4);
      if (unitPrice !== undefined) l.unitPrice = unitPrice;
      const basis = v(seg, 5);
      if (basis !== undefined) l.priceBasis = basis;
      for (let i = 6; i + 1 < seg.elements.length; i += 2) {
        const qualifier = v(seg, i);
        const value = v(seg, i + 1);
        if (qualifier && value)
          l.itemIds.push({ kind: ITEM_ID_KINDS[qualifier] ?? "other", qualifier, value });
      }
    },
    CTP(seg) {
      if (line && line.unitPrice === undefined) setIf(line, "unitPrice", real(seg, 3));
    },
    PID(seg) {
      const text = v(seg, 5);
      if (!text) return;
      if (line) line.description = line.description ? `${line.description} ${text}` : text;
      else inv.notes.push(text);
    },
    PO4(seg) {
      if (!line) return;
      const pack: NonNullable<InvoiceLine["pack"]> = {};
      setIf(pack, "pack", real(seg, 1));
      setIf(pack, "size", real(seg, 2));
      setIf(pack, "unit", v(seg, 3));
      setIf(pack, "packagingCode", v(seg, 4));
      line.pack = pack;
    },
    SAC(seg) {
      const indicator = v(seg, 1);
      if (indicator !== "A" && indicator !== "C") return; // N: no allowance or charge
      const c: Charge = { kind: indicator === "A" ? "allowance" : "charge" };
      setIf(c, "code", v(seg, 2));
      setIf(c, "amount", n2(seg, 5));
      setIf(c, "percent", real(seg, 7));
      setIf(c, "rate", real(seg, 8));
      setIf(c, "handlingCode", v(seg, 12));
      setIf(c, "description", v(seg, 15));
      if (c.amount !== undefined) c.amount = format(abs(parseDecimal(c.amount)!));
      if (area === "line" && line) line.charges.push(c);
      else inv.charges.push(c);
      charge = c;
    },
    TXI(seg) {
      const t: Tax = {};
      setIf(t, "type", v(seg, 1));
      setIf(t, "amount", real(seg, 2));
      setIf(t, "percent", real(seg, 3));
      setIf(t, "exemptCode", v(seg, 6));
      setIf(t, "taxId", v(seg, 9));
      if (charge) appendTo(charge, "taxes", t);
      else if (area === "line" && line) line.taxes.push(t);
      else inv.taxes.push(t);
    },
    TDS(seg) {
      closeLine();
      area = "summary";
      tds = seg;
      setIf(inv.totals, "stated", n2(seg, 1));
      setIf(inv.totals, "subjectToDiscount", n2(seg, 2));
      setIf(inv.totals, "discountedAmountDue", n2(seg, 3));
      setIf(inv.totals, "discountAmount", n2(seg, 4));
    },
    CTT(seg) {
      ctt = seg;
      const count = v(seg, 1);
      if (count && /^\d+$/.test(count)) inv.totals.lineCount = Number(count);
      setIf(inv.totals, "hashTotal", real(seg, 2));
    },
  };

  return {
    segment(seg: Segment, pos: number) {
      position = pos;
      // A charge's TXI loop ends at the first segment that is not TXI; N1 loops at anything not N1-N4/REF/PER.
      if (seg.id !== "TXI") charge = undefined;
      if (party && !PARTY_LOOP.has(seg.id)) party = undefined;
      handlers[seg.id]?.(seg);
    },
    finish() {
      closeLine();
      if (!sawBig) {
        say(
          "X12.810.MissingBIG",
          "error",
          `transaction set ${set.controlNumber} has no BIG segment, so no invoice number; no invoice read`,
          set.st,
          undefined,
          { segment: "3" },
        );
        return undefined;
      }
      if (!tds) {
        say(
          "X12.810.MissingTDS",
          "error",
          `invoice ${inv.invoiceNumber} has no TDS (total monetary value summary); its total is computed from the lines`,
          set.st,
          undefined,
          { segment: "3" },
        );
      }
      source.segments = { first: set.firstSegment, last: set.lastSegment };
      finishInvoice(inv);
      checkTotals(inv, tds, ctt, say);
      return inv;
    },
  };
}

type Say = (code: string, severity: Severity, message: string, seg: Segment, element?: number) => void;

/** Business checks: warnings, so an invoice is never rejected over arithmetic a person should look at. */
function checkTotals(inv: Invoice, tds: Segment | undefined, ctt: Segment | undefined, say: Say): void {
  if (tds && inv.totals.stated !== undefined) {
    const stated = parseDecimal(inv.totals.stated)!;
    const computed = computedTotal(inv);
    if (compare(round(computed, 2), round(stated, 2)) !== 0) {
      const t = inv.totals;
      // A common mistake: the total written in whole currency units, without the two implied decimals.
      const undivided = compare(round(computed, 0), { units: stated.units, scale: 0 }) === 0;
      const hint = undivided ? " (TDS01 looks written without its two implied decimals)" : "";
      say(
        "X12.810.TotalMismatch",
        "warning",
        `invoice ${inv.invoiceNumber}: TDS01 is ${t.stated} but lines ${t.lines} + charges ${t.charges} - allowances ${t.allowances} + tax ${t.tax} = ${format(computed)}${hint}`,
        tds,
        1,
      );
    }
  }
  if (ctt) {
    if (inv.totals.lineCount !== undefined && inv.totals.lineCount !== inv.lines.length) {
      say(
        "X12.810.LineCountMismatch",
        "warning",
        `invoice ${inv.invoiceNumber}: CTT01 says ${inv.totals.lineCount} lines but there are ${inv.lines.length} IT1`,
        ctt,
        1,
      );
    }
    if (inv.totals.hashTotal !== undefined) {
      const quantities = sum(inv.lines.map((l) => l.quantity));
      const hash = parseDecimal(inv.totals.hashTotal) ?? ZERO;
      if (compare(quantities, hash) !== 0) {
        say(
          "X12.810.HashTotalMismatch",
          "warning",
          `invoice ${inv.invoiceNumber}: CTT02 hash total is ${inv.totals.hashTotal} but the IT102 quantities add up to ${format(quantities)}`,
          ctt,
          2,
        );
      }
    }
  }
}

const pad = (i: number) => String(i).padStart(2, "0");

/** CCYYMMDD (or YYMMDD from pre-4010 senders, windowed at 50) to YYYY-MM-DD; undefined when invalid. */
export function isoDate(s: string): string | undefined {
  let y: string;
  let rest: string;
  if (/^\d{8}$/.test(s)) {
    y = s.slice(0, 4);
    rest = s.slice(4);
  } else if (/^\d{6}$/.test(s)) {
    const yy = Number(s.slice(0, 2));
    y = String(yy < 50 ? 2000 + yy : 1900 + yy);
    rest = s.slice(2);
  } else return undefined;
  const m = Number(rest.slice(0, 2));
  const d = Number(rest.slice(2, 4));
  const days = new Date(Date.UTC(Number(y), m, 0)).getUTCDate();
  if (m < 1 || m > 12 || d < 1 || d > days) return undefined;
  return `${y}-${rest.slice(0, 2)}-${rest.slice(2, 4)}`;
}
