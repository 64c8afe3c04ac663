/**
 * X12 810 (invoice) to the Inflow invoice model, for 4010, 4030 and 5010 (the 810 segments used here did not
 * change between them). Segments are mapped as they arrive, so memory is one invoice, not its segments.
 * Numeric types: `R` (explicit decimal point) for IT102/IT104/TXI02/CTP03, `N2` (implied 2 decimals) for
 * TDS01-04, SAC05 and ITD08. Business checks (totals, CTT) are warnings.
 */
import { canonical, compare, format, impliedDecimal, parseDecimal, round, sum, ZERO } from "../decimal.js";
import { type AckCodes, type Diagnostic, diagnostic, type Severity } from "../diagnostics.js";
import {
  appendTo,
  type Carrier,
  type Charge,
  computedTotal,
  type Destination,
  emptyInvoice,
  emptyLine,
  extend,
  type Fob,
  finishInvoice,
  type Invoice,
  type InvoiceLine,
  type ItemId,
  type ItemIdKind,
  type Party,
  type PartyRole,
  type ShipmentSummary,
  type Source,
  type Subline,
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

/** Kind of an item id by its IT1 qualifier (IT106, IT108, ...). */
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

/** ITEM_ID_KINDS by the two character codes of the qualifier. */
const ITEM_ID_BY_CODE = new Map<number, ItemIdKind>(
  Object.entries(ITEM_ID_KINDS).map(([q, kind]) => [(q.charCodeAt(0) << 8) | q.charCodeAt(1), kind]),
);

/**
 * Kind of an item id by its IT1 qualifier. Looked up by character codes: a lookup by the qualifier string,
 * cut from the text for every line, hashes it each time (measured ~3% of the 810 path).
 */
const itemIdKind = (qualifier: string): ItemIdKind =>
  (qualifier.length === 2 && ITEM_ID_BY_CODE.get((qualifier.charCodeAt(0) << 8) | qualifier.charCodeAt(1))) ||
  "other";

/**
 * Reference numbers (X12 data element dictionary) of the 810 elements this mapper checks, for AK402/IK402:
 * 373 date, 76 invoice number, 358 quantity invoiced, 212 unit price, 610 amount, ...
 */
const ELEMENT_REFERENCES: Record<string, string> = {
  BIG01: "373",
  BIG02: "76",
  BIG03: "373",
  BIG04: "324",
  CUR01: "98",
  CUR02: "100",
  REF01: "128",
  N101: "98",
  DTM01: "374",
  DTM02: "373",
  ITD03: "338",
  ITD04: "370",
  ITD05: "351",
  ITD06: "446",
  ITD07: "386",
  ITD08: "362",
  IT102: "358",
  IT104: "212",
  CTP03: "212",
  PID01: "349",
  PO401: "356",
  PO402: "357",
  SAC01: "248",
  SAC05: "610",
  SAC07: "332",
  SAC08: "118",
  TXI01: "963",
  TXI02: "782",
  TXI03: "954",
  TDS01: "610",
  TDS02: "610",
  TDS03: "610",
  TDS04: "610",
  CTT01: "354",
  CTT02: "347",
  SLN04: "380",
  SLN06: "212",
  SDQ04: "380",
  ISS01: "382",
  ISS03: "81",
  ISS05: "183",
  FOB01: "146",
};

/**
 * Elements the 810 standard marks mandatory (M) in the segments mapped here, by segment id. A switch rather
 * than a keyed lookup: the id is cut from the text, and looking it up by name hashes it for every segment.
 */
function mandatoryElements(id: string): readonly number[] | undefined {
  switch (id) {
    case "BIG":
    case "CUR":
      return ONE_AND_TWO;
    case "REF":
    case "N1":
    case "DTM":
    case "PID":
    case "SAC":
    case "TXI":
    case "TDS":
    case "CTT":
    case "FOB":
      return FIRST;
  }
  return undefined;
}
const FIRST = [1] as const;
const ONE_AND_TWO = [1, 2] as const;

/** Price basis codes that divide the unit price (per hundred, per thousand): power of ten. */
const PRICE_BASIS_POW10: Record<string, number> = { HP: 2, TP: 3 };

const CREDIT_CODES = new Set(["CR", "CN"]);

/** Segments that continue an SLN loop (810 4010 diagram: SLN, DTM, REF, PID, SAC, TC2, TXI). */
const SUBLINE_LOOP = new Set(["DTM", "REF", "PID", "SAC", "TC2", "TXI"]);

/** The first component of a composite element (`CA>12` is unit CA). */
const firstComponent = (seg: Segment, i: number): string | undefined => {
  const raw = seg.elements[i];
  if (!raw) return undefined;
  const k = raw.indexOf(seg.separators.component);
  const value = (k < 0 ? raw : raw.slice(0, k)).trim();
  return value === "" ? undefined : value;
};

/** Segments that continue an N1 loop. */
const PARTY_LOOP = new Set(["N1", "N2", "N3", "N4", "REF", "PER"]);

export interface Invoice810 {
  /** A segment of the set (its place in the set follows from its ordinal and the ST's). */
  segment(seg: Segment, position?: number): void;
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
  /** The open SLN loop of the line, and the open ISS loop of the summary. */
  let subline: Subline | undefined;
  let shipment: ShipmentSummary | undefined;
  let sawBig = false;
  let tds: Segment | undefined;
  let ctt: Segment | undefined;
  /** The loop of the segment being read (AK303/IK303), by its identifier on the 810's diagram. */
  let loop = "";
  /** File ordinal of the segment being read: a kept segment (TDS, CTT) is not in `loop` any more. */
  let current = 0;
  const ids: ItemId[] = [];

  const say = (
    code: string,
    severity: Severity,
    message: string,
    seg: Segment,
    element?: number,
    ack?: AckCodes,
    value?: string,
  ) => {
    // The segment's own place in the set (ST = 1), also for a kept TDS reported when the set ends.
    const setPosition = seg.index - set.firstSegment + 1;
    const loc: Diagnostic["location"] = { segment: seg.index, segmentId: seg.id, setPosition };
    if (seg.index === current && loop) loc.loop = loop;
    if (element !== undefined) loc.element = element;
    const extra: { ack?: AckCodes; value?: string } = {};
    if (ack) {
      const reference = element === undefined ? undefined : ELEMENT_REFERENCES[`${seg.id}${pad(element)}`];
      extra.ack = ack.element && reference ? { ...ack, elementReference: reference } : ack;
    }
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

  /** The loop a segment is in, from what was read before it (party, line and charge are still the previous ones). */
  const loopOf = (id: string): string => {
    if (id === "N1" || (party && PARTY_LOOP.has(id))) return "N1";
    if (id === "SLN" || (subline && SUBLINE_LOOP.has(id))) return "SLN";
    if (id === "ISS" || (shipment && id === "PID")) return "ISS";
    if (id === "SAC" || (id === "TXI" && charge)) return "SAC";
    if (id === "IT1") return "IT1";
    if (area !== "line" || id === "TDS") return "";
    return id === "PID" ? "PID" : "IT1";
  };

  const handlers: Record<string, (seg: Segment) => void> = {
    BIG(seg) {
      sawBig = true;
      setIf(inv, "invoiceDate", date(seg, 1));
      // An empty BIG02 is reported with the other mandatory elements.
      const number = v(seg, 2);
      if (number) inv.invoiceNumber = number;
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
      // Header parties, or a line's own (the N1 loop inside IT1); none in the summary.
      if (area === "summary" || (area === "line" && !line)) return;
      const code = v(seg, 1) ?? "";
      party = { role: PARTY_ROLES[code] ?? "other", code };
      setIf(party, "name", v(seg, 2));
      setIf(party, "idQualifier", v(seg, 3));
      setIf(party, "id", v(seg, 4));
      if (area === "line" && line) appendTo(line, "parties", party);
      else inv.parties.push(party);
    },
    SLN(seg) {
      if (!line) return;
      const sub: Subline = { itemIds: [] };
      setIf(sub, "lineNumber", v(seg, 1));
      setIf(sub, "parentLineNumber", v(seg, 2));
      setIf(sub, "relationship", v(seg, 3));
      setIf(sub, "quantity", real(seg, 4));
      // SLN05 is a composite unit of measure; its first component is the unit code.
      setIf(sub, "unit", firstComponent(seg, 5));
      setIf(sub, "unitPrice", real(seg, 6));
      setIf(sub, "priceBasis", v(seg, 7));
      for (let i = 9; i + 1 < seg.elements.length; i += 2) {
        const qualifier = v(seg, i);
        const value = v(seg, i + 1);
        if (qualifier && value) sub.itemIds.push({ kind: itemIdKind(qualifier), qualifier, value });
      }
      appendTo(line, "sublines", sub);
      subline = sub;
    },
    SDQ(seg) {
      if (!line) return;
      const unit = v(seg, 1);
      const qualifier = v(seg, 2);
      // Up to ten location/quantity pairs, SDQ03/04 .. SDQ21/22.
      for (let i = 3; i <= 21 && i < seg.elements.length; i += 2) {
        const location = v(seg, i);
        const quantity = real(seg, i + 1);
        if (!location || quantity === undefined) continue;
        const d: Destination = { location, quantity };
        if (qualifier) d.qualifier = qualifier;
        if (unit) d.unit = unit;
        appendTo(line, "destinations", d);
      }
    },
    CAD(seg) {
      const c: Carrier = {};
      setIf(c, "transportMethod", v(seg, 1));
      setIf(c, "equipmentInitial", v(seg, 2));
      setIf(c, "equipmentNumber", v(seg, 3));
      setIf(c, "scac", v(seg, 4));
      setIf(c, "routing", v(seg, 5));
      setIf(c, "statusCode", v(seg, 6));
      const refValue = v(seg, 8);
      if (refValue) c.reference = { qualifier: v(seg, 7) ?? "", value: refValue };
      setIf(c, "serviceLevel", v(seg, 9));
      if (area === "line" && line) appendTo(line, "carriers", c);
      else appendTo(inv, "carriers", c);
    },
    ISS(seg) {
      const summary: ShipmentSummary = {};
      setIf(summary, "units", real(seg, 1));
      setIf(summary, "unit", v(seg, 2));
      setIf(summary, "weight", real(seg, 3));
      setIf(summary, "weightUnit", v(seg, 4));
      setIf(summary, "volume", real(seg, 5));
      setIf(summary, "volumeUnit", v(seg, 6));
      appendTo(inv, "shipments", summary);
      shipment = summary;
    },
    FOB(seg) {
      const paymentMethod = v(seg, 1);
      if (!paymentMethod || inv.fob) return;
      const f: Fob = { paymentMethod };
      setIf(f, "locationQualifier", v(seg, 2));
      setIf(f, "location", v(seg, 3));
      setIf(f, "termsQualifier", v(seg, 4));
      setIf(f, "terms", v(seg, 5));
      setIf(f, "titleLocationQualifier", v(seg, 6));
      setIf(f, "titleLocation", v(seg, 7));
      setIf(f, "riskOfLossQualifier", v(seg, 8));
      setIf(f, "riskOfLoss", v(seg, 9));
      inv.fob = f;
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
      let found = 0;
      for (let i = 6; i + 1 < seg.elements.length; i += 2) {
        const qualifier = v(seg, i);
        const value = v(seg, i + 1);
        if (qualifier && value) ids[found++] = { kind: itemIdKind(qualifier), qualifier, value };
      }
      // Lists made at their size: a first push would give each line's own list room for 16.
      if (found === 1) l.itemIds = [ids[0]!];
      else if (found === 2) l.itemIds = [ids[0]!, ids[1]!];
      else if (found > 2) l.itemIds = ids.slice(0, found);
    },
    CTP(seg) {
      if (line && line.unitPrice === undefined) setIf(line, "unitPrice", real(seg, 3));
    },
    PID(seg) {
      const text = v(seg, 5);
      if (!text) return;
      // A PID in an SLN or ISS loop describes that subline or shipment summary line.
      const owner = subline ?? shipment;
      if (owner) owner.description = owner.description ? `${owner.description} ${text}` : text;
      else if (line) line.description = line.description ? `${line.description} ${text}` : text;
      else inv.notes.push(text);
    },
    PO4(seg) {
      if (!line) return;
      // Plain assignments, not setIf, in the segments of every line: a generic keyed store is slow.
      const pack: NonNullable<InvoiceLine["pack"]> = {};
      const count = real(seg, 1);
      if (count !== undefined) pack.pack = count;
      const size = real(seg, 2);
      if (size !== undefined) pack.size = size;
      const unit = v(seg, 3);
      if (unit !== undefined) pack.unit = unit;
      const packaging = v(seg, 4);
      if (packaging !== undefined) pack.packagingCode = packaging;
      line.pack = pack;
    },
    SAC(seg) {
      const indicator = v(seg, 1);
      if (indicator !== undefined && indicator !== "A" && indicator !== "C" && indicator !== "N") {
        say(
          "X12.InvalidCode",
          "error",
          `SAC01 "${indicator}" is not A (allowance), C (charge) or N (no allowance or charge)`,
          seg,
          1,
          { segment: "8", element: "7" },
          indicator,
        );
      }
      if (indicator !== "A" && indicator !== "C") return; // N: no allowance or charge
      const c: Charge = { kind: indicator === "A" ? "allowance" : "charge" };
      const code = v(seg, 2);
      if (code !== undefined) c.code = code;
      const amount = n2(seg, 5);
      // Positive for both kinds: `kind` says which way it goes.
      if (amount !== undefined) c.amount = amount.charCodeAt(0) === 45 ? amount.slice(1) : amount;
      const percent = real(seg, 7);
      if (percent !== undefined) c.percent = percent;
      const rate = real(seg, 8);
      if (rate !== undefined) c.rate = rate;
      const handling = v(seg, 12);
      if (handling !== undefined) c.handlingCode = handling;
      const description = v(seg, 15);
      if (description !== undefined) c.description = description;
      if (area === "line" && line) line.charges.push(c);
      else inv.charges.push(c);
      charge = c;
    },
    TXI(seg) {
      const t: Tax = {};
      const type = v(seg, 1);
      if (type !== undefined) t.type = type;
      const amount = real(seg, 2);
      if (amount !== undefined) t.amount = amount;
      const percent = real(seg, 3);
      if (percent !== undefined) t.percent = percent;
      const exempt = v(seg, 6);
      if (exempt !== undefined) t.exemptCode = exempt;
      const taxId = v(seg, 9);
      if (taxId !== undefined) t.taxId = taxId;
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

  /** A mandatory segment that is not there: reported at the place it was expected (AK304/IK304 3). */
  const missing = (id: string, at: number, message: string) => {
    report(
      diagnostic(
        `X12.810.Missing${id}`,
        "error",
        message,
        { segment: set.firstSegment + at - 1, segmentId: id, setPosition: at },
        { ack: { segment: "3" } },
      ),
    );
  };

  return {
    segment(seg: Segment) {
      // A charge's TXI loop ends at the first segment that is not TXI; N1 loops at anything not N1-N4/REF/PER.
      if (seg.id !== "TXI") charge = undefined;
      if (party && !PARTY_LOOP.has(seg.id)) party = undefined;
      if (subline && !SUBLINE_LOOP.has(seg.id)) subline = undefined;
      if (shipment && seg.id !== "PID") shipment = undefined;
      current = seg.index;
      loop = loopOf(seg.id);
      const mandatory = mandatoryElements(seg.id);
      if (mandatory) {
        for (const i of mandatory) {
          if (v(seg, i) !== undefined) continue;
          say("X12.MissingElement", "error", `${seg.id}${pad(i)} is mandatory but empty`, seg, i, {
            segment: "8",
            element: "1",
          });
        }
      }
      // A switch, not handlers[seg.id]: a keyed lookup by a string cut from the text looks it up in V8's
      // string table on every segment (measured ~4% of the 810 path).
      switch (seg.id) {
        case "IT1":
          return handlers.IT1!(seg);
        case "PID":
          return handlers.PID!(seg);
        case "PO4":
          return handlers.PO4!(seg);
        case "SAC":
          return handlers.SAC!(seg);
        case "TXI":
          return handlers.TXI!(seg);
        case "CTP":
          return handlers.CTP!(seg);
        case "REF":
          return handlers.REF!(seg);
        case "DTM":
          return handlers.DTM!(seg);
        case "N1":
          return handlers.N1!(seg);
        case "N2":
          return handlers.N2!(seg);
        case "N3":
          return handlers.N3!(seg);
        case "N4":
          return handlers.N4!(seg);
        case "BIG":
          return handlers.BIG!(seg);
        case "NTE":
          return handlers.NTE!(seg);
        case "CUR":
          return handlers.CUR!(seg);
        case "ITD":
          return handlers.ITD!(seg);
        case "TDS":
          return handlers.TDS!(seg);
        case "CTT":
          return handlers.CTT!(seg);
        case "SLN":
          return handlers.SLN!(seg);
        case "SDQ":
          return handlers.SDQ!(seg);
        case "CAD":
          return handlers.CAD!(seg);
        case "ISS":
          return handlers.ISS!(seg);
        case "FOB":
          return handlers.FOB!(seg);
      }
    },
    finish() {
      closeLine();
      if (!sawBig) {
        missing(
          "BIG",
          2,
          `transaction set ${set.controlNumber} has no BIG segment, so no invoice number; no invoice read`,
        );
        return undefined;
      }
      if (!tds) {
        // Expected before CTT, else before SE.
        const at = ctt ? ctt.index - set.firstSegment + 1 : set.segmentCount;
        missing(
          "TDS",
          at,
          `invoice ${inv.invoiceNumber} has no TDS (total monetary value summary); its total is computed from the lines`,
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

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two digits at `i` as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * CCYYMMDD (or YYMMDD from pre-4010 senders, windowed at 50) to YYYY-MM-DD; undefined when invalid. By
 * character codes rather than regular expressions and Date objects: every invoice has several dates.
 */
export function isoDate(s: string): string | undefined {
  if (s.length !== 8 && s.length !== 6) return undefined;
  const at = s.length - 4;
  let year = 0;
  for (let i = 0; i < at; i += 2) {
    const d = twoDigits(s, i);
    if (d < 0) return undefined;
    year = year * 100 + d;
  }
  if (at === 2) year += year < 50 ? 2000 : 1900;
  const m = twoDigits(s, at);
  const d = twoDigits(s, at + 2);
  if (m < 1 || m > 12 || d < 1) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (d > (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!)) return undefined;
  return `${at === 4 ? s.slice(0, 4) : year}-${s.slice(at, at + 2)}-${s.slice(at + 2)}`;
}
