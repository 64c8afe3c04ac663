/**
 * CSV invoices: rows stream through the tokenizer (quoting, embedded newlines, ragged rows), map to the model by a
 * profile, and group into invoices by key; an invoice is emitted when its key changes, so memory is one
 * invoice. A key that comes back after its invoice was emitted is reported, never merged. Header/detail pairs
 * index the header file by key (it holds one row per invoice) and stream the detail file.
 */
import { canonical, compare, format, isCanonicalAt, parseDecimal, round } from "../decimal.js";
import { type Diagnostic, diagnostic, type Severity } from "../diagnostics.js";
import {
  computedTotal,
  emptyInvoice,
  emptyLine,
  extend,
  finishInvoice,
  type Invoice,
  type InvoiceLine,
  type ItemId,
  type ParseEvent,
  type Party,
  type PartyRole,
} from "../invoice.js";
import { type ByteSource, decodeText, detach, type TextEncoding } from "../text.js";
import {
  BUILTIN_PROFILES,
  type ColumnMap,
  type CsvField,
  type CsvProfile,
  DEFAULT_CREDIT_VALUES,
  LINE_FIELDS,
  normalizeHeader,
  recogniseHeaders,
} from "./profiles.js";
import { CsvRow, createCsvTokenizer } from "./tokenizer.js";

export interface CsvOptions {
  /** Default: the built-in `lines` profile (recognised by header names). */
  profile?: CsvProfile;
  /** The detail (lines) file of a header/detail pair; `source` is then the header file. */
  detail?: ByteSource;
  file?: string;
  encoding?: TextEncoding;
}

type Emit = (d: Diagnostic) => void;

const DELIMITERS = [",", ";", "\t", "|"];

function detectDelimiter(firstLine: string): string {
  let best = ",";
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = firstLine.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Resolves a profile's columns (names or positions) against a header row. */
function resolveColumns(
  columns: ColumnMap,
  headers: string[] | undefined,
  emit: Emit,
  line: number,
): Map<CsvField, number> | undefined {
  const out = new Map<CsvField, number>();
  const normalized = headers?.map(normalizeHeader);
  const missing: string[] = [];
  for (const [field, ref] of Object.entries(columns) as [CsvField, string | number][]) {
    if (typeof ref === "number") out.set(field, ref);
    else {
      const i = normalized?.indexOf(normalizeHeader(ref)) ?? -1;
      if (i >= 0) out.set(field, i);
      else missing.push(`"${ref}" (${field})`);
    }
  }
  if (missing.length > 0) {
    emit(
      diagnostic(
        "CSV.MissingColumn",
        "fatal",
        `the profile's column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${headers ? `not found among the headers: ${headers.join(", ")}` : "need a header row"}`,
        { line },
      ),
    );
    return undefined;
  }
  return out;
}

const ITEM_ID_FIELDS: [CsvField, "upc" | "gtin" | "vendor" | "buyer"][] = [
  ["upc", "upc"],
  ["gtin", "gtin"],
  ["vendorItem", "vendor"],
  ["buyerItem", "buyer"],
];

const PARTY_FIELDS: [PartyRole, string, CsvField | undefined, CsvField | undefined][] = [
  ["supplier", "SU", "supplierName", "supplierId"],
  ["billTo", "BT", "billToName", "billToId"],
  ["shipTo", "ST", "shipToName", "shipToId"],
  ["remitTo", "RE", "remitToName", "remitToId"],
];

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Whether `t[s, e)` has a character that `String.prototype.trim` keeps. */
function hasText(t: string, s: number, e: number): boolean {
  for (let p = s; p < e; p++) {
    const c = t.charCodeAt(p);
    // ASCII whitespace is TAB..CR and space; beyond ASCII, trim() knows the Unicode spaces.
    if (c >= 128) return t.slice(s, e).trim() !== "";
    if (c > 32 || c < 9 || (c > 13 && c < 32)) return true;
  }
  return false;
}

/**
 * Reads typed values out of one row, reporting bad ones at their line and column. Values are cut out of the
 * row's text only when they are used, and plain numbers are recognised in place.
 */
function rowReader(profile: CsvProfile, columns: Map<CsvField, number>, keyFields: CsvField[], emit: Emit) {
  const decimal = profile.decimalSeparator ?? "auto";
  const credit = new Set((profile.creditMemoValues ?? DEFAULT_CREDIT_VALUES).map((s) => s.toUpperCase()));
  let row = new CsvRow();
  const say = (code: string, severity: Severity, message: string, i: number, value: string) =>
    emit(diagnostic(code, severity, message, { line: row.line, column: i + 1 }, { value }));
  // Resolved once per file: the column of each line field (-1: not mapped), and whether any pack column is.
  const at = (field: CsvField) => columns.get(field) ?? -1;
  const lineColumns = LINE_FIELDS.flatMap((f) => (columns.has(f) ? [columns.get(f)!] : []));
  const hasPack = ["packSize", "pack", "size", "sizeUnit"].some((f) => columns.has(f as CsvField));
  const cLineNumber = at("lineNumber");
  const cQuantity = at("quantity");
  const cUnit = at("unit");
  const cUnitPrice = at("unitPrice");
  const cDescription = at("description");
  const cPackSize = at("packSize");
  const cPack = at("pack");
  const cSize = at("size");
  const cSizeUnit = at("sizeUnit");
  const cLineTax = at("lineTax");
  const cLineAmount = at("lineAmount");
  const itemIds = ITEM_ID_FIELDS.filter(([f]) => columns.has(f)).map(([field, kind]) => ({
    column: columns.get(field)!,
    field,
    kind,
  }));
  const keyColumns = keyFields.map(at);
  const ids: ItemId[] = [];

  /**
   * Finds the trimmed text of column `i` in the row's text (`spanStart`, `spanEnd`); false when it is empty or
   * missing. The common case (no blanks around the value) is found in place, the others by trimming.
   */
  let spanStart = 0;
  let spanEnd = 0;
  const span = (i: number): boolean => {
    if (i < 0 || i >= row.count) return false;
    const s = row.starts[i]!;
    const e = row.ends[i]!;
    if (s === e) return false;
    const t = row.text;
    if (t.charCodeAt(s) > 32 && t.charCodeAt(e - 1) > 32) {
      spanStart = s;
      spanEnd = e;
      return true;
    }
    const v = t.slice(s, e).trim();
    if (!v) return false;
    // The trimmed value starts with its first character that is not a blank: its first occurrence from s.
    spanStart = t.indexOf(v, s);
    spanEnd = spanStart + v.length;
    return true;
  };
  /** The trimmed text of column `i`, or undefined when it is empty or missing. */
  const textAt = (i: number): string | undefined => {
    if (i < 0 || i >= row.count) return undefined;
    const s = row.starts[i]!;
    const e = row.ends[i]!;
    if (s === e) return undefined;
    const t = row.text;
    if (t.charCodeAt(s) > 32 && t.charCodeAt(e - 1) > 32) return t.slice(s, e);
    const v = t.slice(s, e).trim();
    return v ? v : undefined;
  };
  const numberAt = (i: number, field: CsvField): string | undefined => {
    if (i < 0 || i >= row.count) return undefined;
    const s = row.starts[i]!;
    const e = row.ends[i]!;
    if (s === e) return undefined;
    const t = row.text;
    // What readNumber returns for a canonical number, without cutting the text out twice.
    if (decimal !== "," && isCanonicalAt(t, s, e))
      return e - s === 2 && t.charCodeAt(s) === 45 && t.charCodeAt(s + 1) === 48 ? "0" : t.slice(s, e);
    const v = textAt(i);
    if (v === undefined) return undefined;
    const n = readNumber(v, decimal);
    if (n !== undefined) return n;
    say("CSV.InvalidNumber", "error", `${field} "${v}" is not a number`, i, v);
    return undefined;
  };
  const text = (field: CsvField) => textAt(at(field));
  const number = (field: CsvField) => numberAt(at(field), field);
  const date = (field: CsvField): string | undefined => {
    const v = text(field);
    if (v === undefined) return undefined;
    const d = readDate(v, profile.dateFormat);
    if (d !== undefined) return d;
    say(
      "CSV.InvalidDate",
      "error",
      `${field} "${v}" is not a date${profile.dateFormat ? ` in ${profile.dateFormat}` : ""}`,
      at(field),
      v,
    );
    return undefined;
  };
  // One key field (the usual case) needs no encoding; several are a JSON array, so no value can collide.
  const key = (): string =>
    keyColumns.length === 1
      ? (textAt(keyColumns[0]!) ?? "")
      : JSON.stringify(keyColumns.map((i) => textAt(i) ?? ""));
  return {
    set(r: CsvRow) {
      row = r;
    },
    text,
    key,
    /** Whether the row's key is `current`, recognised in the row's text without cutting it out. */
    hasKey(current: string): boolean {
      if (keyColumns.length === 1) {
        const i = keyColumns[0]!;
        const s = i >= 0 && i < row.count ? row.starts[i]! : 0;
        const e = i >= 0 && i < row.count ? row.ends[i]! : 0;
        const t = row.text;
        // Without blanks around it, the key is exactly this text (see textAt).
        if (e > s && t.charCodeAt(s) > 32 && t.charCodeAt(e - 1) > 32) {
          if (e - s !== current.length) return false;
          // A loop: startsWith(current, s) measured several times slower here.
          for (let j = 0; j < current.length; j++)
            if (t.charCodeAt(s + j) !== current.charCodeAt(j)) return false;
          return true;
        }
      }
      return key() === current;
    },
    /**
     * Whether the row belongs to the invoice whose key is `current`: its key is the same, or empty (exports
     * that print header fields once).
     */
    continues(current: string): boolean {
      if (this.hasKey(current)) return true;
      const k = key();
      return k === "" || /^\[(""(,|\]))+$/.test(k);
    },
    header(inv: Invoice): void {
      const invoiceNumber = text("invoiceNumber");
      if (invoiceNumber) inv.invoiceNumber = invoiceNumber;
      const setIf = <K extends keyof Invoice>(key: K, value: Invoice[K] | undefined) => {
        if (value !== undefined) inv[key] = value;
      };
      setIf("invoiceDate", date("invoiceDate"));
      const type = text("type");
      if (type) {
        inv.typeCode = type;
        if (credit.has(type.toUpperCase())) inv.type = "creditMemo";
      }
      const po = text("purchaseOrder");
      if (po) {
        inv.purchaseOrder = { number: po };
        const poDate = date("purchaseOrderDate");
        if (poDate) inv.purchaseOrder.date = poDate;
      }
      setIf("currency", text("currency")?.toUpperCase() ?? profile.currency);
      for (const [role, code, nameField, idField] of PARTY_FIELDS) {
        const name = nameField && text(nameField);
        const id = idField && text(idField);
        if (!name && !id) continue;
        const party: Party = { role, code };
        if (name) party.name = name;
        if (id) party.id = id;
        if (role === "shipTo") {
          const address = { lines: [text("shipToAddress")].filter((s): s is string => !!s) };
          const extra = {
            city: text("shipToCity"),
            state: text("shipToState"),
            postalCode: text("shipToPostalCode"),
          };
          const filled = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined));
          if (address.lines.length > 0 || Object.keys(filled).length > 0)
            party.address = { ...address, ...filled };
        }
        inv.parties.push(party);
      }
      const terms = text("terms");
      const due = date("dueDate");
      if (terms || due)
        inv.terms.push({ ...(terms ? { description: terms } : {}), ...(due ? { netDueDate: due } : {}) });
      const charges = number("charges");
      if (charges) inv.charges.push({ kind: "charge", amount: charges });
      const allowances = number("allowances");
      if (allowances) inv.charges.push({ kind: "allowance", amount: allowances.replace(/^-/, "") });
      const tax = number("taxTotal");
      if (tax) inv.taxes.push({ amount: tax });
      const total = number("total");
      if (total) inv.totals.stated = total;
      const notes = text("notes");
      if (notes) inv.notes.push(notes);
    },
    /** The row's line, or undefined when it has no line data at all. */
    line(): InvoiceLine | undefined {
      const t = row.text;
      let data = false;
      for (const i of lineColumns) {
        if (i < row.count && hasText(t, row.starts[i]!, row.ends[i]!)) {
          data = true;
          break;
        }
      }
      if (!data) return undefined;
      // Plain assignments rather than a generic setter: this runs for every row.
      const line = emptyLine();
      const lineNumber = textAt(cLineNumber);
      if (lineNumber !== undefined) line.lineNumber = lineNumber;
      const quantity = numberAt(cQuantity, "quantity");
      if (quantity !== undefined) line.quantity = quantity;
      const unit = textAt(cUnit);
      if (unit !== undefined) line.unit = unit;
      const unitPrice = numberAt(cUnitPrice, "unitPrice");
      if (unitPrice !== undefined) line.unitPrice = unitPrice;
      const description = textAt(cDescription);
      if (description !== undefined) line.description = description;
      let found = 0;
      for (const id of itemIds) {
        const value = textAt(id.column);
        if (value) ids[found++] = { kind: id.kind, qualifier: id.field, value };
      }
      // Lists made at their size: a first push would give each line's own list room for 16.
      if (found === 1) line.itemIds = [ids[0]!];
      else if (found === 2) line.itemIds = [ids[0]!, ids[1]!];
      else if (found > 2) line.itemIds = ids.slice(0, found);
      if (hasPack) {
        const combined = span(cPackSize);
        const pack = packFrom(
          row.text,
          combined ? spanStart : -1,
          spanEnd,
          numberAt(cPack, "pack"),
          numberAt(cSize, "size"),
          textAt(cSizeUnit),
        );
        if (pack) line.pack = pack;
      }
      const tax = numberAt(cLineTax, "lineTax");
      if (tax) line.taxes.push({ amount: tax });
      const amount = numberAt(cLineAmount, "lineAmount") ?? extend(line.quantity, line.unitPrice);
      if (amount !== undefined) line.amount = amount;
      return line;
    },
  };
}

type RowReader = ReturnType<typeof rowReader>;

/** Whitespace as a regular expression's `\s` knows it in ASCII. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** End of the unsigned decimal (`\d+(\.\d+)?`) that starts at `i`, or -1 when none does. */
function scanUnsigned(t: string, i: number, e: number): number {
  let j = i;
  while (j < e && isDigit(t.charCodeAt(j))) j++;
  if (j === i) return -1;
  if (j + 1 < e && t.charCodeAt(j) === 46 && isDigit(t.charCodeAt(j + 1))) {
    j += 2;
    while (j < e && isDigit(t.charCodeAt(j))) j++;
  }
  return j;
}

const PACK_SIZE = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*([A-Za-z#]*)$/;

/** Where `scanPackSize` found the parts: pack end, size start, size end, unit start. */
const packParts = new Int32Array(4);

/**
 * Whether `t[s, e)` reads as "6/5 LB" (pack, size, unit) the way `PACK_SIZE` does, scanned in place because it
 * is read on every line; the parts' positions go to `packParts`. Text beyond ASCII is left to the regular
 * expression (undefined), whose `\s` also means the Unicode spaces.
 */
function scanPackSize(t: string, s: number, e: number): boolean | undefined {
  const a = scanUnsigned(t, s, e);
  if (a < 0) return t.charCodeAt(s) >= 128 ? undefined : false;
  let i = a;
  while (i < e && isSpace(t.charCodeAt(i))) i++;
  if (i >= e || t.charCodeAt(i) !== 47) return i < e && t.charCodeAt(i) >= 128 ? undefined : false;
  i++;
  while (i < e && isSpace(t.charCodeAt(i))) i++;
  const b = scanUnsigned(t, i, e);
  if (b < 0) return i < e && t.charCodeAt(i) >= 128 ? undefined : false;
  let u = b;
  while (u < e && isSpace(t.charCodeAt(u))) u++;
  for (let j = u; j < e; j++) {
    const c = t.charCodeAt(j);
    if (c >= 128) return undefined;
    const lower = c | 32;
    if (!((lower >= 97 && lower <= 122) || c === 35)) return false;
  }
  packParts[0] = a;
  packParts[1] = i;
  packParts[2] = b;
  packParts[3] = u;
  return true;
}

/** "6/5 LB" as pack, size and unit (as written), or undefined when the text is not of that form. */
export function splitPackSize(text: string): [pack: string, size: string, unit: string] | undefined {
  const found = scanPackSize(text, 0, text.length);
  if (found === undefined) {
    const m = PACK_SIZE.exec(text);
    return m ? [m[1]!, m[2]!, m[3]!] : undefined;
  }
  if (!found) return undefined;
  return [text.slice(0, packParts[0]), text.slice(packParts[1], packParts[2]), text.slice(packParts[3])];
}

const hasLowerCase = (t: string, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) {
    const c = t.charCodeAt(i);
    if (c >= 97 && c <= 122) return true;
  }
  return false;
};

/**
 * The pack of a line: "6/5 LB" in one column (trimmed, at `t[s, e)`; s = -1 for none) and/or separate
 * pack, size and unit columns, which win over the combined one.
 */
function packFrom(
  t: string,
  s: number,
  e: number,
  pack?: string,
  size?: string,
  unit?: string,
): InvoiceLine["pack"] {
  const out: NonNullable<InvoiceLine["pack"]> = {};
  let found = false;
  if (s >= 0) {
    const scanned = scanPackSize(t, s, e);
    if (scanned) {
      found = true;
      out.pack = t.slice(s, packParts[0]);
      out.size = t.slice(packParts[1], packParts[2]);
      const u = packParts[3]!;
      if (u < e) out.unit = hasLowerCase(t, u, e) ? t.slice(u, e).toUpperCase() : t.slice(u, e);
    } else if (scanned === undefined) {
      const m = splitPackSize(t.slice(s, e));
      if (m) {
        found = true;
        out.pack = m[0];
        out.size = m[1];
        if (m[2]) out.unit = m[2].toUpperCase();
      }
    }
  }
  if (pack) out.pack = pack;
  if (size) out.size = size;
  if (unit) out.unit = unit;
  return found || pack || size || unit ? out : undefined;
}

/**
 * Supplier number formats: thousands separators, decimal comma, currency signs, "(12.50)" and "12.50-" for
 * negatives. `auto`: when both "." and "," occur the last one is the decimal mark; a lone mark is a thousands
 * separator only in exact groups of three ("1,234", "1.234.567"), else the decimal mark ("12,5").
 */
export function readNumber(text: string, decimal: "." | "," | "auto"): string | undefined {
  // Most values are plain ("12.50"): no separators to interpret.
  if (decimal !== "," && PLAIN_NUMBER.test(text)) return canonical(text);
  let s = text.replace(/[\s$€£¥]/g, "");
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1);
  } else if (s.length > 1 && s.endsWith("-") && !s.startsWith("-")) {
    negative = true;
    s = s.slice(0, -1);
  }
  let mark = decimal;
  if (mark === "auto") {
    const dot = s.lastIndexOf(".");
    const comma = s.lastIndexOf(",");
    if (dot >= 0 && comma >= 0) mark = dot > comma ? "." : ",";
    else if (comma >= 0) mark = /^[+-]?\d{1,3}(,\d{3})+$/.test(s) ? "." : ",";
    else mark = /^[+-]?\d{1,3}(\.\d{3}){2,}$/.test(s) ? "," : ".";
  }
  const thousands = mark === "." ? "," : ".";
  const [whole = "", fraction, extra] = s.split(mark);
  if (extra !== undefined) return undefined;
  if (whole.includes(thousands) && !new RegExp(`^[+-]?\\d{1,3}(\\${thousands}\\d{3})+$`).test(whole))
    return undefined;
  const plain = whole.split(thousands).join("") + (fraction === undefined ? "" : `.${fraction}`);
  const d = parseDecimal(plain);
  if (!d) return undefined;
  const out = format(d);
  return negative && !out.startsWith("-") ? `-${out}` : out;
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

const MONTH_DAY = (y: number, m: number, d: number) =>
  m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Compiled date patterns: a profile's pattern is compiled once, not once per row. */
const DATE_PATTERNS = new Map<string, { re: RegExp; parts: string[] }>();

function compileDate(pattern: string): { re: RegExp; parts: string[] } {
  let compiled = DATE_PATTERNS.get(pattern);
  if (!compiled) {
    const parts: string[] = [];
    const source = pattern.replace(/YYYY|YY|MM|M|DD|D|[.*+?^${}()|[\]\\/-]/g, (t) => {
      if (/^[YMD]/.test(t)) {
        parts.push(t[0]!);
        return t === "YYYY" ? "(\\d{4})" : t.length === 2 ? "(\\d{2})" : "(\\d{1,2})";
      }
      return `\\${t}`;
    });
    // A time after the date (exports often write "2024-03-01 00:00:00") is ignored.
    compiled = { re: new RegExp(`^${source}(?:[ T]\\d{1,2}:\\d{2}(?::\\d{2})?)?$`), parts };
    DATE_PATTERNS.set(pattern, compiled);
  }
  return compiled;
}

const DEFAULT_DATE_PATTERNS = ["YYYY-MM-DD", "YYYYMMDD", "M/D/YYYY", "D.M.YYYY", "YYYY/M/D"];

/** The number in `t[s, e)` when it is all digits, else -1. */
function digitsAt(t: string, s: number, e: number): number {
  if (s >= e) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + c - 48;
  }
  return v;
}

const isoOf = (y: number, mo: number, d: number) =>
  MONTH_DAY(y, mo, d) ? `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}` : undefined;

/**
 * The two commonest shapes of the default patterns, YYYY-MM-DD and M/D/YYYY, read by character codes (a date or
 * two per invoice went through up to three regular expressions). A text of either shape matches no other default
 * pattern, so its answer is final; null means "not one of these shapes".
 */
function quickDate(t: string): string | undefined | null {
  const n = t.length;
  if (n === 10 && t.charCodeAt(4) === 45 && t.charCodeAt(7) === 45) {
    const y = digitsAt(t, 0, 4);
    const mo = digitsAt(t, 5, 7);
    const d = digitsAt(t, 8, 10);
    if (y >= 0 && mo >= 0 && d >= 0) return isoOf(y, mo, d);
    return null;
  }
  const a = t.indexOf("/");
  const b = a < 0 ? -1 : t.indexOf("/", a + 1);
  if (a < 1 || a > 2 || b - a < 2 || b - a > 3 || n - b !== 5) return null;
  const mo = digitsAt(t, 0, a);
  const d = digitsAt(t, a + 1, b);
  const y = digitsAt(t, b + 1, n);
  if (mo < 0 || d < 0 || y < 0) return null;
  return isoOf(y, mo, d);
}

/** Dates by pattern (YYYY, YY, MM, M, DD, D); without a pattern: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY, DD.MM.YYYY. */
export function readDate(text: string, pattern?: string): string | undefined {
  if (!pattern) {
    const quick = quickDate(text);
    if (quick !== null) return quick;
  }
  for (const p of pattern ? [pattern] : DEFAULT_DATE_PATTERNS) {
    const { re, parts } = compileDate(p);
    const m = re.exec(text);
    if (!m) continue;
    let y = 0;
    let mo = 0;
    let d = 0;
    parts.forEach((kind, i) => {
      const v = Number(m[i + 1]);
      if (kind === "Y") y = m[i + 1]!.length === 2 ? (v < 50 ? 2000 + v : 1900 + v) : v;
      else if (kind === "M") mo = v;
      else d = v;
    });
    if (MONTH_DAY(y, mo, d)) return `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  }
  return undefined;
}

export async function* parseCsv(source: ByteSource, options: CsvOptions = {}): AsyncGenerator<ParseEvent> {
  const profile = options.profile ?? BUILTIN_PROFILES.lines!;
  const encoding = options.encoding ?? profile.encoding ?? "auto";
  const keyFields = profile.key ?? ["invoiceNumber"];
  let out: ParseEvent[] = [];
  const emit: Emit = (d) => out.push({ kind: "diagnostic", diagnostic: d });
  const drain = () => {
    const batch = out;
    out = [];
    return batch;
  };

  const newInvoice = (firstLine: number) => {
    const inv = emptyInvoice({
      format: "csv",
      version: profile.name,
      rows: { first: firstLine, last: firstLine },
    });
    if (options.file) inv.source.file = options.file;
    return inv;
  };

  const finish = (inv: Invoice) => {
    if (!inv.invoiceNumber) {
      emit(
        diagnostic("CSV.MissingInvoiceNumber", "error", "rows without an invoice number; skipped", {
          line: inv.source.rows!.first,
        }),
      );
      return;
    }
    finishInvoice(inv);
    const stated = inv.totals.stated === undefined ? undefined : parseDecimal(inv.totals.stated);
    if (stated && compare(round(computedTotal(inv), 2), round(stated, 2)) !== 0) {
      const t = inv.totals;
      emit(
        diagnostic(
          "CSV.TotalMismatch",
          "warning",
          `invoice ${inv.invoiceNumber}: the total column says ${t.stated} but lines ${t.lines} + charges ${t.charges} - allowances ${t.allowances} + tax ${t.tax} = ${format(computedTotal(inv))}`,
          { line: inv.source.rows!.first },
        ),
      );
    }
    out.push({ kind: "invoice", invoice: inv });
  };

  /**
   * Reads one file: its first row picks (built-in profile) or resolves the columns, and is skipped when it is
   * the header row; every other row goes to `onRow`, synchronously as the tokenizer finds it, so no row
   * outlives its turn. Yields what the rows emitted after each piece of text.
   */
  async function* eachRow(
    input: ByteSource,
    columns: ColumnMap,
    headerRow: boolean,
    builtin: boolean,
    onRow: (row: CsvRow, reader: RowReader) => void,
  ): AsyncGenerator<ParseEvent> {
    let reader: RowReader | undefined;
    let stopped = false;
    const handle = (row: CsvRow) => {
      if (stopped) return;
      if (!reader) {
        let cols = columns;
        if (builtin) {
          const recognised = recogniseHeaders(row.fields());
          if (!recognised) {
            emit(
              diagnostic(
                "CSV.UnknownLayout",
                "fatal",
                `the header row (${row.fields().join(", ")}) is not a known invoice export: it needs an invoice number and a quantity or amount column; pass --profile`,
                { line: row.line },
              ),
            );
            stopped = true;
            return;
          }
          cols = recognised;
        }
        const resolved = resolveColumns(cols, headerRow ? row.fields() : undefined, emit, row.line);
        if (!resolved) {
          stopped = true;
          return;
        }
        reader = rowReader(profile, resolved, keyFields, emit);
        if (headerRow) return;
      }
      reader.set(row);
      onRow(row, reader);
    };
    let tokenizer: ReturnType<typeof createCsvTokenizer> | undefined;
    for await (const text of decodeText(input, encoding)) {
      tokenizer ??= createCsvTokenizer(
        {
          delimiter: profile.delimiter ?? detectDelimiter(text.split(/\r?\n|\r/, 1)[0] ?? ""),
          quote: profile.quote ?? '"',
        },
        handle,
        (message, line) =>
          emit(diagnostic("CSV.Unreadable", "fatal", `the CSV cannot be read further: ${message}`, { line })),
      );
      tokenizer.push(text);
      if (out.length > 0) yield* drain();
      if (stopped) return;
    }
    tokenizer?.end();
    if (out.length > 0) yield* drain();
  }

  const builtin = Object.keys(profile.columns).length === 0;
  const headerRow = profile.headerRow ?? true;

  if (profile.detail && options.detail) {
    // Header file: one row per invoice, indexed by key (each row copied: the tokenizer reuses its own).
    const headers = new Map<string, { line: number; row: CsvRow; used: boolean }>();
    let headerReader: RowReader | undefined;
    yield* eachRow(source, profile.columns, headerRow, false, (row, reader) => {
      headerReader = reader;
      const key = reader.key();
      if (headers.has(key))
        emit(
          diagnostic("CSV.DuplicateKey", "error", `invoice key ${key} appears twice in the header file`, {
            line: row.line,
          }),
        );
      else headers.set(detach(key), { line: row.line, row: row.copy(), used: false });
    });
    const applyHeader = (inv: Invoice, row: CsvRow) => {
      headerReader!.set(row);
      headerReader!.header(inv);
    };
    const detailHeaderRow = profile.detail.headerRow ?? true;
    let current: { key: string; inv: Invoice } | undefined;
    const done = new Set<string>();
    const close = () => {
      if (current) {
        done.add(current.key);
        finish(current.inv);
      }
      current = undefined;
    };
    yield* eachRow(options.detail, profile.detail.columns, detailHeaderRow, false, (row, reader) => {
      if (!current || !reader.hasKey(current.key)) {
        const key = reader.key();
        close();
        if (done.has(key)) reappears(emit, key, row.line);
        const inv = newInvoice(row.line);
        const header = headers.get(key);
        if (header) {
          header.used = true;
          applyHeader(inv, header.row);
        } else {
          emit(
            diagnostic(
              "CSV.MissingHeaderRow",
              "warning",
              `detail rows for invoice key ${showKey(key)} have no header row`,
              { line: row.line },
            ),
          );
          reader.header(inv);
        }
        current = { key: detach(key), inv };
      }
      const line = reader.line();
      if (line) current.inv.lines.push(line);
      current.inv.source.rows!.last = row.endLine;
    });
    close();
    for (const [key, header] of headers) {
      if (header.used) continue;
      emit(
        diagnostic("CSV.MissingDetailRows", "warning", `invoice key ${showKey(key)} has no detail rows`, {
          line: header.line,
        }),
      );
      const inv = newInvoice(header.line);
      applyHeader(inv, header.row);
      finish(inv);
    }
    yield* drain();
    return;
  }

  let current: { key: string; inv: Invoice } | undefined;
  const done = new Set<string>();
  yield* eachRow(source, profile.columns, headerRow, builtin, (row, reader) => {
    if (!current || !reader.continues(current.key)) {
      const key = reader.key();
      if (current) {
        done.add(current.key);
        finish(current.inv);
      }
      if (done.has(key)) reappears(emit, key, row.line);
      const inv = newInvoice(row.line);
      reader.header(inv);
      // Detached: the key is kept in `done` for the whole file (see `detach`).
      current = { key: detach(key), inv };
    }
    const line = reader.line();
    if (line) current.inv.lines.push(line);
    current.inv.source.rows!.last = row.endLine;
  });
  if (current) finish((current as { inv: Invoice }).inv);
  yield* drain();
}

/** A key of several fields is a JSON array of their values; shown joined by "/". */
const showKey = (key: string) => (key.startsWith('["') ? (JSON.parse(key) as string[]).join("/") : key);

function reappears(emit: Emit, key: string, line: number): void {
  emit(
    diagnostic(
      "CSV.KeyReappears",
      "error",
      `invoice key ${showKey(key)} comes back after other invoices; read as a separate invoice, not merged (sort the export by invoice)`,
      { line },
    ),
  );
}
