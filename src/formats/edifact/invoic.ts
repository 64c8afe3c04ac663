/**
 * EDIFACT INVOIC (D93A, D96A/EANCOM, D97B and later) to the invoice model, segment by segment. Segment groups
 * are tracked by context: the current party (NAD group), line (LIN group), allowance/charge (ALC group), tax
 * (TAX group), terms (PAT group), and the summary after UNS. Amounts have explicit decimals, written with the
 * decimal mark the UNA declares.
 */
import { compare, format, parseDecimal, round } from "../decimal.js";
import { type Diagnostic, diagnostic, type Severity } from "../diagnostics.js";
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
  type Terms,
} from "../invoice.js";
import type { MessageInfo } from "./envelope.js";
import type { EdifactSegment } from "./tokenizer.js";

const PARTY_ROLES: Record<string, PartyRole> = {
  SU: "supplier",
  SE: "supplier",
  II: "supplier",
  IV: "billTo",
  BT: "billTo",
  DP: "shipTo",
  ST: "shipTo",
  PE: "remitTo",
  RE: "remitTo",
  BY: "buyer",
  SF: "shipFrom",
  PR: "payer",
};

const ITEM_ID_KINDS: Record<string, ItemIdKind> = {
  EN: "gtin",
  SRV: "gtin",
  UP: "upc",
  SA: "vendor",
  SRS: "vendor",
  VN: "vendor",
  IN: "buyer",
  BP: "buyer",
  MF: "manufacturer",
};

/** BGM document codes of credit notes: 381 credit note, 396 factored credit note, 81/83 related credits. */
const CREDIT_CODES = new Set(["381", "396", "81", "83", "532"]);
/** Summary MOA qualifiers that state the invoice total, best first. */
const TOTAL_QUALIFIERS = ["77", "86", "39", "9", "388"];

export interface InvoicMapper {
  segment(seg: EdifactSegment, position: number): void;
  finish(): Invoice | undefined;
}

export function createInvoicMapper(
  m: MessageInfo,
  report: (d: Diagnostic) => void,
  file?: string,
): InvoicMapper {
  const source: Source = { format: "edifact", documentType: m.type };
  source.version = `${m.version}${m.release}${m.association ? `/${m.association}` : ""}`;
  const ic = m.interchange;
  if (ic) {
    source.sender = { qualifier: ic.senderQualifier, id: ic.senderId };
    source.receiver = { qualifier: ic.recipientQualifier, id: ic.recipientId };
    source.interchangeControlNumber = ic.controlReference;
    if (ic.testIndicator) source.testIndicator = ic.testIndicator;
  }
  if (m.groupReference) source.groupControlNumber = m.groupReference;
  source.transactionControlNumber = m.reference;
  if (file) source.file = file;

  const inv = emptyInvoice(source);
  let area: "header" | "line" | "summary" = "header";
  let party: Party | undefined;
  let line: InvoiceLine | undefined;
  let charge: Charge | undefined;
  let tax: Tax | undefined;
  let terms: Terms | undefined;
  let lastRff: string | undefined;
  let sawBgm = false;
  let invoiceDateQualifier: string | undefined;
  let statedRank = Number.POSITIVE_INFINITY;
  let totalSegment: EdifactSegment | undefined;
  let position = 0;

  const say = (
    code: string,
    severity: Severity,
    message: string,
    seg: EdifactSegment,
    element?: number,
    component?: number,
    value?: string,
  ) =>
    report(
      diagnostic(
        code,
        severity,
        message,
        {
          segment: seg.index,
          segmentId: seg.tag,
          setPosition: position,
          ...(element ? { element } : {}),
          ...(component ? { component } : {}),
        },
        value === undefined ? {} : { value },
      ),
    );

  const v = (seg: EdifactSegment, e: number, c = 1): string | undefined => {
    const s = seg.elements[e]?.[c - 1]?.trim();
    return s ? s : undefined;
  };

  const num = (seg: EdifactSegment, e: number, c: number): string | undefined => {
    const s = v(seg, e, c);
    if (s === undefined) return undefined;
    const text = seg.separators.decimal === "," ? s.replace(",", ".") : s;
    const d = parseDecimal(text);
    if (d) return format(d);
    say(
      "EDIFACT.InvalidNumber",
      "error",
      `${seg.tag} element ${e}.${c} "${s}" is not a number`,
      seg,
      e,
      c,
      s,
    );
    return undefined;
  };

  const date = (seg: EdifactSegment): string | undefined => {
    const value = v(seg, 1, 2);
    const fmt = v(seg, 1, 3) ?? "102";
    if (value === undefined) return undefined;
    const iso = edifactDate(value, fmt);
    if (iso) return iso;
    say("EDIFACT.InvalidDate", "error", `DTM "${value}" is not a date in format ${fmt}`, seg, 1, 2, value);
    return undefined;
  };

  const closeLine = () => {
    if (line && line.amount === undefined) {
      const amount = extend(line.quantity, line.unitPrice);
      if (amount !== undefined) line.amount = amount;
    }
    line = undefined;
  };

  const setIf = <T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined) => {
    if (value !== undefined) obj[key] = value;
  };

  const handlers: Record<string, (seg: EdifactSegment) => void> = {
    BGM(seg) {
      sawBgm = true;
      const code = v(seg, 1);
      if (code) {
        inv.typeCode = code;
        if (CREDIT_CODES.has(code)) inv.type = "creditMemo";
      }
      const number = v(seg, 2);
      if (number) inv.invoiceNumber = number;
      else say("EDIFACT.MissingElement", "error", "BGM02 (document number) is empty", seg, 2);
    },
    DTM(seg) {
      const qualifier = v(seg, 1) ?? "";
      const d = date(seg);
      if (!d) return;
      if (terms && qualifier === "13") {
        terms.netDueDate = d;
        return;
      }
      if (lastRff === "ON" && qualifier === "171" && inv.purchaseOrder) {
        inv.purchaseOrder.date = d;
        return;
      }
      if (line) {
        appendTo(line, "dates", { qualifier, date: d });
        return;
      }
      if ((qualifier === "3" || qualifier === "137") && invoiceDateQualifier !== "3") {
        inv.invoiceDate = d;
        invoiceDateQualifier = qualifier;
        return;
      }
      inv.dates.push({ qualifier, date: d });
    },
    RFF(seg) {
      const qualifier = v(seg, 1) ?? "";
      const value = v(seg, 1, 2) ?? "";
      lastRff = qualifier;
      const ref = { qualifier, value };
      if (party) appendTo(party, "references", ref);
      else if (line) appendTo(line, "references", ref);
      else {
        inv.references.push(ref);
        if (qualifier === "ON" && value && !inv.purchaseOrder) inv.purchaseOrder = { number: value };
      }
    },
    NAD(seg) {
      if (area !== "header") return;
      const code = v(seg, 1) ?? "";
      if (!/^[A-Z0-9]{1,3}$/.test(code)) {
        say(
          "EDIFACT.InvalidCode",
          "error",
          `NAD01 party qualifier "${code}" is not a code (an..3)`,
          seg,
          1,
          1,
          code,
        );
      }
      const p: Party = { role: PARTY_ROLES[code] ?? "other", code };
      setIf(p, "id", v(seg, 2, 1));
      setIf(p, "idQualifier", v(seg, 2, 3));
      const name = [1, 2, 3, 4, 5].map((c) => v(seg, 4, c)).filter((s): s is string => !!s);
      const nameAndAddress = [1, 2, 3, 4, 5].map((c) => v(seg, 3, c)).filter((s): s is string => !!s);
      if (name.length > 0) p.name = name.join(" ");
      else if (nameAndAddress.length > 0) p.name = nameAndAddress.shift();
      const street = [1, 2, 3, 4].map((c) => v(seg, 5, c)).filter((s): s is string => !!s);
      const lines = [...nameAndAddress, ...street];
      const address = { lines } as NonNullable<Party["address"]>;
      setIf(address, "city", v(seg, 6));
      setIf(address, "state", v(seg, 7));
      setIf(address, "postalCode", v(seg, 8));
      setIf(address, "country", v(seg, 9));
      if (lines.length > 0 || Object.keys(address).length > 1) p.address = address;
      inv.parties.push(p);
      party = p;
    },
    CUX(seg) {
      if (!inv.currency) setIf(inv, "currency", v(seg, 1, 2));
    },
    FTX(seg) {
      const text = [1, 2, 3, 4, 5]
        .map((c) => v(seg, 4, c))
        .filter(Boolean)
        .join(" ");
      if (text) inv.notes.push(text);
    },
    PAT(seg) {
      terms = {};
      setIf(terms, "typeCode", v(seg, 1));
      setIf(terms, "basisDateCode", v(seg, 3, 1));
      const periods = num(seg, 3, 4);
      if (periods !== undefined) {
        if (terms.typeCode === "22") terms.discountDays = periods;
        else terms.netDays = periods;
      }
      inv.terms.push(terms);
    },
    PCD(seg) {
      const percent = num(seg, 1, 2);
      if (percent === undefined) return;
      if (charge) charge.percent = percent;
      else if (terms) terms.discountPercent = percent;
    },
    ALC(seg) {
      const indicator = v(seg, 1);
      const c: Charge = { kind: indicator === "A" ? "allowance" : "charge" };
      setIf(c, "code", v(seg, 5, 1));
      setIf(c, "description", v(seg, 5, 4));
      if (line && area === "line") line.charges.push(c);
      else inv.charges.push(c);
      charge = c;
    },
    TAX(seg) {
      const t: Tax = {};
      setIf(t, "type", v(seg, 2, 1));
      setIf(t, "percent", num(seg, 5, 4));
      const category = v(seg, 6);
      if (category === "E" || category === "Z") t.exemptCode = category;
      setIf(t, "taxId", v(seg, 7));
      if (charge) appendTo(charge, "taxes", t);
      else if (line && area === "line") line.taxes.push(t);
      else inv.taxes.push(t);
      tax = t;
    },
    MOA(seg) {
      const qualifier = v(seg, 1, 1) ?? "";
      const amount = num(seg, 1, 2);
      if (amount === undefined) return;
      if (tax && (qualifier === "124" || qualifier === "150")) {
        tax.amount = amount;
        return;
      }
      if (charge && ["8", "23", "204", "131"].includes(qualifier)) {
        charge.amount = amount.replace(/^-/, "");
        if (amount.startsWith("-")) charge.kind = charge.kind === "charge" ? "allowance" : "charge";
        return;
      }
      if (area === "line" && line && qualifier === "203") {
        line.amount = amount;
        return;
      }
      if (area === "summary") {
        const rank = TOTAL_QUALIFIERS.indexOf(qualifier);
        if (rank >= 0 && rank < statedRank) {
          statedRank = rank;
          inv.totals.stated = amount;
          totalSegment = seg;
        }
        return;
      }
      if (terms && qualifier === "52") terms.discountAmount = amount;
    },
    LIN(seg) {
      closeLine();
      area = "line";
      line = emptyLine();
      inv.lines.push(line);
      setIf(line, "lineNumber", v(seg, 1));
      const id = v(seg, 3, 1);
      const type = v(seg, 3, 2) ?? "";
      if (id) line.itemIds.push({ kind: ITEM_ID_KINDS[type] ?? "other", qualifier: type, value: id });
    },
    PIA(seg) {
      if (!line) return;
      for (let e = 2; e < seg.elements.length; e++) {
        const id = v(seg, e, 1);
        const type = v(seg, e, 2) ?? "";
        if (id) line.itemIds.push({ kind: ITEM_ID_KINDS[type] ?? "other", qualifier: type, value: id });
      }
    },
    IMD(seg) {
      const text = [4, 5]
        .map((c) => v(seg, 3, c))
        .filter(Boolean)
        .join(" ");
      if (!text || !line) return;
      line.description = line.description ? `${line.description} ${text}` : text;
    },
    QTY(seg) {
      if (!line) return;
      const qualifier = v(seg, 1, 1);
      const quantity = num(seg, 1, 2);
      if (quantity === undefined) return;
      if (qualifier === "47" || ((qualifier === "12" || qualifier === "46") && line.quantity === undefined)) {
        line.quantity = quantity;
        setIf(line, "unit", v(seg, 1, 3));
      } else if (qualifier === "59") {
        line.pack = { ...line.pack, pack: quantity };
      }
    },
    PRI(seg) {
      if (!line) return;
      const qualifier = v(seg, 1, 1);
      const price = num(seg, 1, 2);
      if (price === undefined) return;
      // Net prices (AAA) and invoice prices (INV) win over gross prices (AAB).
      if (qualifier !== "AAB" || line.unitPrice === undefined) line.unitPrice = price;
    },
    CNT(seg) {
      const qualifier = v(seg, 1, 1);
      const value = v(seg, 1, 2);
      if (qualifier === "2" && value && /^\d+$/.test(value)) inv.totals.lineCount = Number(value);
      if (qualifier === "1") setIf(inv.totals, "hashTotal", num(seg, 1, 2));
    },
    UNS() {
      closeLine();
      area = "summary";
    },
  };

  /** Segments that continue the current group; any other segment closes it. */
  const CONTINUES: Record<string, string[]> = {
    party: ["RFF", "DTM", "CTA", "COM", "LOC", "FII"],
    charge: ["MOA", "PCD", "TAX", "ALI", "RTE", "QTY", "RFF", "DTM"],
    tax: ["MOA", "LOC"],
    terms: ["DTM", "PCD", "MOA", "PAI", "FII"],
  };

  return {
    segment(seg: EdifactSegment, pos: number) {
      position = pos;
      if (party && !CONTINUES.party!.includes(seg.tag)) party = undefined;
      if (charge && !CONTINUES.charge!.includes(seg.tag)) charge = undefined;
      if (tax && !CONTINUES.tax!.includes(seg.tag)) tax = undefined;
      if (terms && !CONTINUES.terms!.includes(seg.tag)) terms = undefined;
      if (seg.tag !== "DTM" && seg.tag !== "RFF") lastRff = undefined;
      handlers[seg.tag]?.(seg);
    },
    finish() {
      closeLine();
      if (!sawBgm) {
        say(
          "EDIFACT.MissingBGM",
          "error",
          `message ${m.reference} has no BGM segment, so no invoice number; no invoice read`,
          m.unh,
        );
        return undefined;
      }
      source.segments = { first: m.firstSegment, last: m.lastSegment };
      finishInvoice(inv);
      const stated = inv.totals.stated === undefined ? undefined : parseDecimal(inv.totals.stated);
      if (stated && totalSegment && compare(round(computedTotal(inv), 2), round(stated, 2)) !== 0) {
        const t = inv.totals;
        say(
          "EDIFACT.TotalMismatch",
          "warning",
          `invoice ${inv.invoiceNumber}: the total is ${t.stated} but lines ${t.lines} + charges ${t.charges} - allowances ${t.allowances} + tax ${t.tax} = ${format(computedTotal(inv))}`,
          totalSegment,
          1,
        );
      }
      if (inv.totals.lineCount !== undefined && inv.totals.lineCount !== inv.lines.length) {
        say(
          "EDIFACT.LineCountMismatch",
          "warning",
          `invoice ${inv.invoiceNumber}: CNT says ${inv.totals.lineCount} lines but there are ${inv.lines.length}`,
          m.unh,
        );
      }
      return inv;
    },
  };
}

/** DTM formats: 102 CCYYMMDD, 101 YYMMDD, 203/204 with time, 718 a range (its start). */
export function edifactDate(value: string, fmt: string): string | undefined {
  let digits: string;
  if (fmt === "102" || fmt === "203" || fmt === "204" || fmt === "718") digits = value.slice(0, 8);
  else if (fmt === "101") digits = `${Number(value.slice(0, 2)) < 50 ? "20" : "19"}${value.slice(0, 6)}`;
  else return undefined;
  if (!/^\d{8}$/.test(digits)) return undefined;
  const y = Number(digits.slice(0, 4));
  const mo = Number(digits.slice(4, 6));
  const d = Number(digits.slice(6, 8));
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}
