/**
 * Seeded generators of realistic invoice files (X12 810, EDIFACT INVOIC, CSV, Inflow JSON) with a manifest of
 * what they contain, so parsers can be checked and benchmarked on files of any size, and `inflow serve --demo`
 * has supplier files to show. Invoices are drawn once
 * (foodservice-distributor shapes: 15-45 lines with UPC, vendor item, pack/size, a line allowance now and then,
 * a fuel surcharge, sales tax, about 5% credit memos) and written by one writer per format; the writers stream
 * text chunks, so a 300 MB file needs no memory.
 */

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenLine {
  quantity: number;
  unit: string;
  /** Prices and amounts in cents, so sums are exact. */
  priceCents: number;
  upc: string;
  vendorItem: string;
  description: string;
  pack: number;
  size: number;
  sizeUnit: string;
  allowanceCents: number;
}

export interface GenInvoice {
  number: string;
  date: string;
  po: string;
  credit: boolean;
  shipTo: { id: string; name: string; street: string; city: string; state: string; zip: string };
  lines: GenLine[];
  chargeCents: number;
  taxCents: number;
  /** lines + charge - allowances + tax, positive as written in the document. */
  totalCents: number;
}

export interface GenOptions {
  seed: number;
  invoices: number;
  minLines?: number;
  maxLines?: number;
  /**
   * Who sends the file: the X12 sender id (ISA06, GS02) and a supplier party (N1*SU in X12, a
   * `supplier` party in JSON); default the anonymous "DISTRIBUTOR". CSV exports name no supplier.
   */
  supplier?: { id: string; name: string };
}

export interface Manifest {
  format: string;
  seed: number;
  invoices: number;
  lines: number;
  /** Sum of invoice totals as Inflow reports them (credit memos negative), a decimal string. */
  total: string;
  creditMemos: number;
  bytes: number;
}

const PRODUCTS = [
  ["TOMATOES ROMA 2 LAYER", "LB", 25],
  ["LETTUCE ICEBERG LINER", "CT", 24],
  ["CHICKEN BREAST BNLS SKLS", "LB", 10],
  ['CHEESE CHEDDAR SHRD 1/8"', "LB", 5],
  ["OIL CANOLA CLEAR FRY", "GAL", 35],
  ["FLOUR ALL PURPOSE H&R", "LB", 50],
  ["NAPKIN DINNER 2PLY WHITE", "EA", 1000],
  ["BEEF GROUND 80/20 FINE", "LB", 10],
  ["POTATO FRY 3/8 SHOESTRING", "LB", 6],
  ["CREAM HEAVY 40% UHT", "QT", 12],
] as const;

const CITIES = [
  ["ATLANTA", "GA", "30303"],
  ["DALLAS", "TX", "75201"],
  ["DENVER", "CO", "80202"],
  ["SEATTLE", "WA", "98101"],
  ["CHICAGO", "IL", "60601"],
] as const;

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function* drawInvoices(options: GenOptions): Generator<GenInvoice> {
  const random = rng(options.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const minLines = options.minLines ?? 15;
  const maxLines = options.maxLines ?? 45;
  for (let i = 0; i < options.invoices; i++) {
    const lines: GenLine[] = [];
    const count = int(minLines, maxLines);
    for (let l = 0; l < count; l++) {
      const [description, sizeUnit, size] = PRODUCTS[int(0, PRODUCTS.length - 1)]!;
      const priceCents = int(150, 9500);
      const quantity = int(1, 12);
      lines.push({
        quantity,
        unit: random() < 0.8 ? "CA" : "EA",
        priceCents,
        upc: `0${pad(int(10000, 99999), 5)}${pad(int(100000, 999999), 6)}`,
        vendorItem: String(int(1000000, 9999999)),
        description,
        pack: [1, 4, 6, 12][int(0, 3)]!,
        size,
        sizeUnit,
        allowanceCents: random() < 0.1 ? Math.min(int(25, 500), quantity * priceCents) : 0,
      });
    }
    const [city, state, zip] = CITIES[int(0, CITIES.length - 1)]!;
    const linesCents = lines.reduce((s, l) => s + l.quantity * l.priceCents - l.allowanceCents, 0);
    const chargeCents = random() < 0.5 ? int(100, 2500) : 0;
    const taxCents = Math.round(linesCents * 0.0725);
    const day = int(1, 28);
    const month = int(1, 12);
    yield {
      number: `INV${pad(options.seed % 1000, 3)}${pad(i + 1, 7)}`,
      date: `2024${pad(month, 2)}${pad(day, 2)}`,
      po: `PO${int(100000, 999999)}`,
      credit: random() < 0.05,
      shipTo: {
        id: String(int(1000, 9999)),
        name: `RESTAURANT ${int(1, 500)}`,
        street: `${int(1, 9999)} MAIN ST`,
        city,
        state,
        zip,
      },
      lines,
      chargeCents,
      taxCents,
      totalCents: linesCents + chargeCents + taxCents,
    };
  }
}

export const cents = (c: number) =>
  `${c < 0 ? "-" : ""}${Math.floor(Math.abs(c) / 100)}.${pad(Math.abs(c) % 100, 2)}`;

/** Manifest counters shared by the writers. */
function tally(format: string, options: GenOptions) {
  const m: Manifest = {
    format,
    seed: options.seed,
    invoices: 0,
    lines: 0,
    total: "0",
    creditMemos: 0,
    bytes: 0,
  };
  let total = 0n;
  return {
    manifest: m,
    add(inv: GenInvoice) {
      m.invoices++;
      m.lines += inv.lines.length;
      if (inv.credit) m.creditMemos++;
      total += BigInt(inv.credit ? -inv.totalCents : inv.totalCents);
      const negative = total < 0n;
      const abs = negative ? -total : total;
      m.total = `${negative ? "-" : ""}${abs / 100n}.${pad(Number(abs % 100n), 2)}`;
    },
    text(s: string) {
      m.bytes += Buffer.byteLength(s);
      return s;
    },
  };
}

export interface X12Layout {
  /** Segment terminator and what follows it ("~\n" one segment per line, "~" one long line). */
  terminator?: string;
  element?: string;
  /** Transaction sets per functional group. */
  setsPerGroup?: number;
}

/** X12 810 (004010) with correct SE/GE/IEA counts, unique control numbers and TDS = the invoice's total. */
export function* write810(
  options: GenOptions & X12Layout,
  manifestOut?: (m: Manifest) => void,
): Generator<string> {
  const t = tally("x12", options);
  const term = options.terminator ?? "~\n";
  const e = options.element ?? "*";
  const perGroup = options.setsPerGroup ?? 1000;
  const seg = (...parts: (string | number)[]) => parts.join(e) + term;
  const sender = options.supplier?.id ?? "DISTRIBUTOR";
  const isa = `ISA${e}00${e}          ${e}00${e}          ${e}ZZ${e}${sender.padEnd(15)}${e}ZZ${e}${"INFLOW".padEnd(15)}${e}240301${e}1200${e}U${e}00401${e}000000001${e}0${e}P${e}>`;
  yield t.text(isa + term);
  let group = 0;
  let inGroup = 0;
  let sets = 0;
  for (const inv of drawInvoices(options)) {
    if (inGroup === 0) {
      group++;
      yield t.text(seg("GS", "IN", sender, "INFLOW", "20240301", "1200", group, "X", "004010"));
    }
    const st = pad(++sets, 6);
    const body: string[] = [
      seg("ST", "810", st),
      seg("BIG", inv.date, inv.number, inv.date, inv.po, "", "", inv.credit ? "CR" : "DI"),
      seg("REF", "IA", "V12345"),
      ...(options.supplier ? [seg("N1", "SU", options.supplier.name, "92", options.supplier.id)] : []),
      seg("N1", "ST", inv.shipTo.name, "92", inv.shipTo.id),
      seg("N3", inv.shipTo.street),
      seg("N4", inv.shipTo.city, inv.shipTo.state, inv.shipTo.zip),
      seg("N1", "RE", "FOOD DISTRIBUTOR INC", "1", "123456789"),
      seg("ITD", "01", "3", "", "", "", "", "30"),
      seg("DTM", "011", inv.date),
    ];
    for (const [i, l] of inv.lines.entries()) {
      body.push(
        seg("IT1", i + 1, l.quantity, l.unit, cents(l.priceCents), "", "UP", l.upc, "VN", l.vendorItem),
      );
      body.push(seg("PID", "F", "", "", "", l.description));
      body.push(seg("PO4", l.pack, l.size, l.sizeUnit));
      if (l.allowanceCents > 0)
        body.push(seg("SAC", "A", "C310", "", "", l.allowanceCents, "", "", "", "", "", "", "02"));
    }
    body.push(seg("TDS", inv.totalCents));
    if (inv.chargeCents > 0) body.push(seg("SAC", "C", "D240", "", "", inv.chargeCents));
    body.push(seg("TXI", "ST", cents(inv.taxCents), "7.25"));
    body.push(seg("CAD", "M", "", "", "", "", "", "", "", ""));
    body.push(
      seg(
        "ISS",
        inv.lines.reduce((s, l) => s + l.quantity, 0),
        "CA",
      ),
    );
    body.push(seg("CTT", inv.lines.length));
    body.push(seg("SE", body.length + 1, st));
    t.add(inv);
    yield t.text(body.join(""));
    inGroup++;
    if (inGroup === perGroup) {
      yield t.text(seg("GE", inGroup, group));
      inGroup = 0;
    }
  }
  if (inGroup > 0) yield t.text(seg("GE", inGroup, group));
  yield t.text(seg("IEA", group, "000000001"));
  manifestOut?.(t.manifest);
}

/** EDIFACT INVOIC D96A (EANCOM-like), one interchange, one message per invoice. */
export function* writeInvoic(options: GenOptions, manifestOut?: (m: Manifest) => void): Generator<string> {
  const t = tally("edifact", options);
  const seg = (...parts: string[]) => `${parts.join("+")}'\n`;
  yield t.text(seg("UNB", "UNOC:3", "5412345000013:14", "5498765000012:14", "240301:1200", "1"));
  let messages = 0;
  for (const inv of drawInvoices(options)) {
    const ref = String(++messages);
    const body = [
      seg("UNH", ref, "INVOIC:D:96A:UN:EAN008"),
      seg("BGM", inv.credit ? "381" : "380", inv.number, "9"),
      seg("DTM", `137:${inv.date}:102`),
      seg("RFF", `ON:${inv.po}`),
      seg("NAD", "SU", "5412345000013::9"),
      seg(
        "NAD",
        "DP",
        `${inv.shipTo.id}::92`,
        "",
        inv.shipTo.name,
        inv.shipTo.street,
        inv.shipTo.city,
        "",
        inv.shipTo.zip,
      ),
      seg("CUX", "2:USD:4"),
    ];
    for (const [i, l] of inv.lines.entries()) {
      body.push(seg("LIN", String(i + 1), "", `${l.upc}:UP`));
      body.push(seg("PIA", "1", `${l.vendorItem}:SA`));
      body.push(seg("IMD", "F", "", `:::${l.description.replace(/[?'+:]/g, "?$&")}`));
      body.push(seg("QTY", `47:${l.quantity}:${l.unit}`));
      body.push(seg("MOA", `203:${cents(l.quantity * l.priceCents)}`));
      body.push(seg("PRI", `AAA:${cents(l.priceCents)}`));
      if (l.allowanceCents > 0)
        body.push(seg("ALC", "A", "", "", "", "DI"), seg("MOA", `8:${cents(l.allowanceCents)}`));
    }
    body.push(seg("UNS", "S"));
    if (inv.chargeCents > 0)
      body.push(seg("ALC", "C", "", "", "", "FC"), seg("MOA", `8:${cents(inv.chargeCents)}`));
    body.push(seg("TAX", "7", "VAT", "", "", ":::7.25"), seg("MOA", `124:${cents(inv.taxCents)}`));
    body.push(seg("MOA", `77:${cents(inv.totalCents)}`));
    body.push(seg("UNT", String(body.length + 1), ref));
    t.add(inv);
    yield t.text(body.join(""));
  }
  yield t.text(seg("UNZ", String(messages), "1"));
  manifestOut?.(t.manifest);
}

export const CSV_HEADER =
  "Invoice Number,Invoice Date,Type,PO Number,Ship To,Ship To Name,Line,Item Number,UPC,Description,Pack Size,Qty Shipped,UOM,Unit Price,Ext Price,Freight,Invoice Tax,Invoice Total";

/** A one-row-per-line distributor export that the built-in CSV profile recognises. */
export function* writeCsv(options: GenOptions, manifestOut?: (m: Manifest) => void): Generator<string> {
  const t = tally("csv", options);
  yield t.text(`${CSV_HEADER}\r\n`);
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const inv of drawInvoices(options)) {
    const date = `${inv.date.slice(4, 6)}/${inv.date.slice(6)}/${inv.date.slice(0, 4)}`;
    const rows: string[] = [];
    for (const [i, l] of inv.lines.entries()) {
      // Line allowances are folded into the extended price, as such exports do.
      const ext = l.quantity * l.priceCents - l.allowanceCents;
      rows.push(
        [
          inv.number,
          date,
          inv.credit ? "CREDIT" : "INVOICE",
          inv.po,
          inv.shipTo.id,
          quote(inv.shipTo.name),
          i + 1,
          l.vendorItem,
          l.upc,
          quote(l.description),
          `${l.pack}/${l.size} ${l.sizeUnit}`,
          l.quantity,
          l.unit,
          cents(l.priceCents),
          cents(ext),
          i === 0 ? cents(inv.chargeCents) : "",
          i === 0 ? cents(inv.taxCents) : "",
          cents(inv.totalCents),
        ].join(","),
      );
    }
    t.add(inv);
    yield t.text(`${rows.join("\r\n")}\r\n`);
  }
  manifestOut?.(t.manifest);
}

/** Inflow invoice JSON: NDJSON, or one array when `array` is set. */
export function* writeJson(
  options: GenOptions & { array?: boolean },
  manifestOut?: (m: Manifest) => void,
): Generator<string> {
  const t = tally("json", options);
  if (options.array) yield t.text("[\n");
  let first = true;
  for (const inv of drawInvoices(options)) {
    const sign = inv.credit ? -1 : 1;
    const record = {
      invoiceNumber: inv.number,
      invoiceDate: `${inv.date.slice(0, 4)}-${inv.date.slice(4, 6)}-${inv.date.slice(6)}`,
      type: inv.credit ? "creditMemo" : "invoice",
      purchaseOrder: { number: inv.po },
      parties: [
        ...(options.supplier ? [{ role: "supplier", code: "SU", ...options.supplier }] : []),
        { role: "shipTo", code: "ST", id: inv.shipTo.id, name: inv.shipTo.name },
      ],
      lines: inv.lines.map((l, i) => ({
        lineNumber: String(i + 1),
        quantity: String(l.quantity),
        unit: l.unit,
        unitPrice: cents(sign * l.priceCents),
        amount: cents(sign * l.quantity * l.priceCents),
        description: l.description,
        itemIds: [
          { kind: "upc", qualifier: "UP", value: l.upc },
          { kind: "vendor", qualifier: "VN", value: l.vendorItem },
        ],
        pack: { pack: String(l.pack), size: String(l.size), unit: l.sizeUnit },
        charges: l.allowanceCents > 0 ? [{ kind: "allowance", amount: cents(sign * l.allowanceCents) }] : [],
        taxes: [],
      })),
      charges: inv.chargeCents > 0 ? [{ kind: "charge", amount: cents(sign * inv.chargeCents) }] : [],
      taxes: [{ type: "ST", amount: cents(sign * inv.taxCents), percent: "7.25" }],
      total: cents(sign * inv.totalCents),
    };
    t.add(inv);
    const text = JSON.stringify(record);
    yield t.text(options.array ? `${first ? "" : ",\n"}${text}` : `${text}\n`);
    first = false;
  }
  if (options.array) yield t.text("\n]\n");
  manifestOut?.(t.manifest);
}

/** Text chunks as bytes, batched to about `size` bytes (what a file read would hand a parser). */
export function* asBytes(chunks: Iterable<string>, size = 1 << 16): Generator<Uint8Array> {
  let pending = "";
  for (const c of chunks) {
    pending += c;
    if (pending.length >= size) {
      yield Buffer.from(pending);
      pending = "";
    }
  }
  if (pending) yield Buffer.from(pending);
}
