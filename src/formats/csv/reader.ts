/**
 * CSV invoices: rows stream through the tokenizer (quoting, embedded newlines, ragged rows), map to the model by a
 * profile, and group into invoices by key; an invoice is emitted when its key changes, so memory is one
 * invoice. A key that comes back after its invoice was emitted is reported, never merged. Header/detail pairs
 * index the header file by key (it holds one row per invoice) and stream the detail file.
 */
import { canonical, compare, format, parseDecimal, round } from "../decimal.js";
import { type Diagnostic, diagnostic, type Severity } from "../diagnostics.js";
import {
  computedTotal,
  emptyInvoice,
  emptyLine,
  extend,
  finishInvoice,
  type Invoice,
  type InvoiceLine,
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
import { type CsvRecord, createCsvTokenizer } from "./tokenizer.js";

export interface CsvOptions {
  /** Default: the built-in `lines` profile (recognised by header names). */
  profile?: CsvProfile;
  /** The detail (lines) file of a header/detail pair; `source` is then the header file. */
  detail?: ByteSource;
  file?: string;
  encoding?: TextEncoding;
}

type Row = CsvRecord;

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

/**
 * Records of the text, decoded and tokenized chunk by chunk, in batches (one async step per chunk, not per
 * row); an unreadable record ends with a diagnostic.
 */
async function* readRows(
  source: ByteSource,
  profile: CsvProfile,
  encoding: TextEncoding,
  emit: Emit,
): AsyncGenerator<Row[]> {
  let rows: Row[] = [];
  let tokenizer: ReturnType<typeof createCsvTokenizer> | undefined;
  for await (const text of decodeText(source, encoding)) {
    tokenizer ??= createCsvTokenizer(
      {
        delimiter: profile.delimiter ?? detectDelimiter(text.split(/\r?\n|\r/, 1)[0] ?? ""),
        quote: profile.quote ?? '"',
      },
      (r) => rows.push(r),
      (message, line) =>
        emit(diagnostic("CSV.Unreadable", "fatal", `the CSV cannot be read further: ${message}`, { line })),
    );
    tokenizer.push(text);
    if (rows.length > 0) {
      yield rows;
      rows = [];
    }
  }
  tokenizer?.end();
  if (rows.length > 0) yield rows;
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

/** Reads typed values out of one row, reporting bad ones at their line and column. */
function rowReader(profile: CsvProfile, columns: Map<CsvField, number>, emit: Emit) {
  const decimal = profile.decimalSeparator ?? "auto";
  let row: Row = { fields: [], line: 0, endLine: 0 };
  const say = (code: string, severity: Severity, message: string, field: CsvField, value: string) =>
    emit(
      diagnostic(
        code,
        severity,
        message,
        { line: row.line, column: (columns.get(field) ?? 0) + 1 },
        { value },
      ),
    );
  // Resolved once per file: which columns hold line data, and whether any pack column is mapped.
  const lineColumns = LINE_FIELDS.flatMap((f) => (columns.has(f) ? [columns.get(f)!] : []));
  const hasPack = ["packSize", "pack", "size", "sizeUnit"].some((f) => columns.has(f as CsvField));
  const text = (field: CsvField): string | undefined => {
    const i = columns.get(field);
    if (i === undefined) return undefined;
    const raw = row.fields[i];
    if (raw === undefined || raw === "") return undefined;
    if (raw.charCodeAt(0) > 32 && raw.charCodeAt(raw.length - 1) > 32) return raw;
    const v = raw.trim();
    return v ? v : undefined;
  };
  const number = (field: CsvField): string | undefined => {
    const v = text(field);
    if (v === undefined) return undefined;
    const n = readNumber(v, decimal);
    if (n !== undefined) return n;
    say("CSV.InvalidNumber", "error", `${field} "${v}" is not a number`, field, v);
    return undefined;
  };
  const date = (field: CsvField): string | undefined => {
    const v = text(field);
    if (v === undefined) return undefined;
    const d = readDate(v, profile.dateFormat);
    if (d !== undefined) return d;
    say(
      "CSV.InvalidDate",
      "error",
      `${field} "${v}" is not a date${profile.dateFormat ? ` in ${profile.dateFormat}` : ""}`,
      field,
      v,
    );
    return undefined;
  };
  return {
    set(r: Row) {
      row = r;
    },
    text,
    key(fields: CsvField[]): string {
      // One key field (the usual case) needs no encoding; several are a JSON array, so no value can collide.
      return fields.length === 1
        ? (text(fields[0]!) ?? "")
        : JSON.stringify(fields.map((f) => text(f) ?? ""));
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
        const credit = (profile.creditMemoValues ?? DEFAULT_CREDIT_VALUES).map((s) => s.toUpperCase());
        if (credit.includes(type.toUpperCase())) inv.type = "creditMemo";
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
      if (!lineColumns.some((i) => row.fields[i] !== undefined && row.fields[i]!.trim() !== ""))
        return undefined;
      // Plain assignments rather than a generic setter: this runs for every row.
      const line = emptyLine();
      const lineNumber = text("lineNumber");
      if (lineNumber !== undefined) line.lineNumber = lineNumber;
      const quantity = number("quantity");
      if (quantity !== undefined) line.quantity = quantity;
      const unit = text("unit");
      if (unit !== undefined) line.unit = unit;
      const unitPrice = number("unitPrice");
      if (unitPrice !== undefined) line.unitPrice = unitPrice;
      const description = text("description");
      if (description !== undefined) line.description = description;
      for (const [field, kind] of ITEM_ID_FIELDS) {
        const value = text(field);
        if (value) line.itemIds.push({ kind, qualifier: field, value });
      }
      if (hasPack) {
        const pack = packFrom(text("packSize"), number("pack"), number("size"), text("sizeUnit"));
        if (pack) line.pack = pack;
      }
      const tax = number("lineTax");
      if (tax) line.taxes.push({ amount: tax });
      const amount = number("lineAmount") ?? extend(line.quantity, line.unitPrice);
      if (amount !== undefined) line.amount = amount;
      return line;
    },
  };
}

/** "6/5 LB" (pack/size unit) or separate columns. */
function packFrom(
  combined: string | undefined,
  pack?: string,
  size?: string,
  unit?: string,
): InvoiceLine["pack"] {
  const out: NonNullable<InvoiceLine["pack"]> = {};
  const m = combined ? /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*([A-Za-z#]*)$/.exec(combined) : null;
  if (m) {
    out.pack = m[1]!;
    out.size = m[2]!;
    if (m[3]) out.unit = m[3].toUpperCase();
  }
  if (pack) out.pack = pack;
  if (size) out.size = size;
  if (unit) out.unit = unit;
  return Object.keys(out).length > 0 ? out : undefined;
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

/** Dates by pattern (YYYY, YY, MM, M, DD, D); without a pattern: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY, DD.MM.YYYY. */
export function readDate(text: string, pattern?: string): string | undefined {
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
   * Batches of rows with the reader that resolves their columns; the first row is the header row unless the
   * profile says otherwise.
   */
  async function* mapped(input: ByteSource, columns: ColumnMap, headerRow: boolean, builtin: boolean) {
    let reader: ReturnType<typeof rowReader> | undefined;
    for await (const batch of readRows(input, profile, encoding, emit)) {
      let rows = batch;
      if (!reader) {
        const first = rows[0]!;
        let cols = columns;
        if (builtin) {
          const recognised = recogniseHeaders(first.fields);
          if (!recognised) {
            emit(
              diagnostic(
                "CSV.UnknownLayout",
                "fatal",
                `the header row (${first.fields.join(", ")}) is not a known invoice export: it needs an invoice number and a quantity or amount column; pass --profile`,
                { line: first.line },
              ),
            );
            return;
          }
          cols = recognised;
        }
        const resolved = resolveColumns(cols, headerRow ? first.fields : undefined, emit, first.line);
        if (!resolved) return;
        reader = rowReader(profile, resolved, emit);
        if (headerRow) rows = rows.slice(1);
      }
      yield { rows, reader };
    }
  }

  const builtin = Object.keys(profile.columns).length === 0;
  const headerRow = profile.headerRow ?? true;

  if (profile.detail && options.detail) {
    // Header file: one row per invoice, indexed by key.
    const headers = new Map<string, { line: number; apply: (inv: Invoice) => void; used: boolean }>();
    for await (const { rows, reader } of mapped(source, profile.columns, headerRow, false)) {
      for (const row of rows) {
        reader.set(row);
        const key = reader.key(keyFields);
        const snapshot = { ...row };
        const apply = (inv: Invoice) => {
          reader.set(snapshot);
          reader.header(inv);
        };
        if (headers.has(key))
          emit(
            diagnostic("CSV.DuplicateKey", "error", `invoice key ${key} appears twice in the header file`, {
              line: row.line,
            }),
          );
        else headers.set(key, { line: row.line, apply, used: false });
      }
    }
    yield* drain();
    const detailHeaderRow = profile.detail.headerRow ?? true;
    let current: { key: string; inv: Invoice } | undefined;
    const done = new Set<string>();
    const close = () => {
      if (current) {
        done.add(detach(current.key));
        finish(current.inv);
      }
      current = undefined;
    };
    for await (const { rows, reader } of mapped(
      options.detail,
      profile.detail.columns,
      detailHeaderRow,
      false,
    )) {
      for (const row of rows) {
        reader.set(row);
        const key = reader.key(keyFields);
        if (!current || current.key !== key) {
          close();
          if (done.has(key)) reappears(emit, key, row.line);
          const inv = newInvoice(row.line);
          const header = headers.get(key);
          if (header) {
            header.used = true;
            header.apply(inv);
          } else {
            emit(
              diagnostic(
                "CSV.MissingHeaderRow",
                "warning",
                `detail rows for invoice key ${showKey(key)} have no header row`,
                { line: row.line },
              ),
            );
            reader.set(row);
            reader.header(inv);
          }
          current = { key, inv };
        }
        reader.set(row);
        const line = reader.line();
        if (line) current.inv.lines.push(line);
        current.inv.source.rows!.last = row.endLine;
      }
      if (out.length > 0) yield* drain();
    }
    close();
    for (const [key, header] of headers) {
      if (header.used) continue;
      emit(
        diagnostic("CSV.MissingDetailRows", "warning", `invoice key ${showKey(key)} has no detail rows`, {
          line: header.line,
        }),
      );
      const inv = newInvoice(header.line);
      header.apply(inv);
      finish(inv);
    }
    yield* drain();
    return;
  }

  let current: { key: string; inv: Invoice } | undefined;
  const done = new Set<string>();
  for await (const { rows, reader } of mapped(source, profile.columns, headerRow, builtin)) {
    for (const row of rows) {
      reader.set(row);
      const key = reader.key(keyFields);
      // A row with an empty key continues the current invoice (exports that print header fields once).
      const continues = current && (key === current.key || key === "" || /^\[(""(,|\]))+$/.test(key));
      if (!continues) {
        if (current) {
          done.add(detach(current.key));
          finish(current.inv);
        }
        if (done.has(key)) reappears(emit, key, row.line);
        const inv = newInvoice(row.line);
        reader.header(inv);
        current = { key, inv };
      }
      const line = reader.line();
      if (line) current!.inv.lines.push(line);
      current!.inv.source.rows!.last = row.endLine;
    }
    if (out.length > 0) yield* drain();
  }
  if (current) finish(current.inv);
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
