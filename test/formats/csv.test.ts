import { describe, expect, it } from "vitest";
import { type CsvProfile, checkProfile, recogniseHeaders } from "../../src/formats/csv/profiles.js";
import { parseCsv, readDate, readNumber, splitPackSize } from "../../src/formats/csv/reader.js";
import { type CsvRow, createCsvTokenizer } from "../../src/formats/csv/tokenizer.js";
import { compare, parseDecimal } from "../../src/formats/decimal.js";
import { chunked, codes, collect, corpusFiles, readCorpus } from "./corpus.js";

const csv = (name: string) => readCorpus(corpusFiles("csv", ".csv").find((f) => f.includes(name))!);

/** Columns as the bots grammars ALTO_INVHDR / ALTO_INVDTL name them (see the corpus SOURCES.md). */
const ALTO: CsvProfile = {
  name: "alto",
  headerRow: false,
  dateFormat: "YYYYMMDD",
  columns: { invoiceNumber: 0, invoiceDate: 4, purchaseOrder: 5, taxTotal: 7, total: 8 },
  detail: {
    headerRow: false,
    columns: { invoiceNumber: 0, lineNumber: 1, quantity: 2, unitPrice: 3, lineAmount: 4, vendorItem: 5 },
  },
};

describe("CSV header/detail pair (bots ALTO export)", () => {
  it("joins detail rows to their header row by invoice number", async () => {
    const r = await collect(parseCsv(csv("header"), { profile: ALTO, detail: csv("detail") }));
    expect(r.diagnostics).toEqual([]);
    const headerRows = new TextDecoder().decode(csv("header")).trim().split(/\r?\n/);
    expect(r.invoices.map((i) => i.invoiceNumber)).toEqual(headerRows.map((l) => l.split(",")[0]));
    for (const [i, inv] of r.invoices.entries()) {
      const cells = headerRows[i]!.split(",").map((c) => c.replace(/"/g, ""));
      // TOTEXCGST = sum of the detail amounts; TOTINCGST = that + GST: read from the header file itself.
      expect(compare(parseDecimal(inv.totals.lines)!, parseDecimal(cells[6]!)!)).toBe(0);
      expect(inv.total).toBe(cells[8]);
      expect(inv.invoiceDate).toBe(`${cells[4]!.slice(0, 4)}-${cells[4]!.slice(4, 6)}-${cells[4]!.slice(6)}`);
      expect(inv.purchaseOrder?.number).toBe(cells[5]);
    }
    expect(r.invoices.at(-1)!.lines.map((l) => l.itemIds[0]!.value)).toEqual(["144MT", "018679"]);
  });
});

const EXPORT = [
  "Invoice Number,Invoice Date,PO Number,Ship To,Item #,UPC,Description,Pack Size,Qty Shipped,UOM,Unit Price,Ext Price,Invoice Total",
  '1001,03/01/2024,PO-1,STORE 12,A1,012345678905,"Tomatoes, roma",6/5 LB,2,CS,"1,234.50",2469.00,2479.00',
  '1001,03/01/2024,PO-1,STORE 12,A2,,"Lettuce ""iceberg""\nwashed",,1,CS,10.00,10.00,2479.00',
  "1002,2024-03-02,PO-2,STORE 12,A1,,Tomatoes,,1,CS,5,5,6",
].join("\r\n");

describe("CSV one-row-per-line export with the built-in profile", () => {
  it("recognises the columns by header name and groups rows into invoices", async () => {
    const r = await collect(parseCsv(EXPORT));
    expect(r.invoices.map((i) => [i.invoiceNumber, i.lines.length, i.total])).toEqual([
      ["1001", 2, "2479.00"],
      ["1002", 1, "6"],
    ]);
    const [first] = r.invoices;
    expect(first!.invoiceDate).toBe("2024-03-01");
    expect(first!.parties).toEqual([{ role: "shipTo", code: "ST", id: "STORE 12" }]);
    expect(first!.lines[0]).toMatchObject({
      quantity: "2",
      unit: "CS",
      unitPrice: "1234.50",
      amount: "2469.00",
      description: "Tomatoes, roma",
      pack: { pack: "6", size: "5", unit: "LB" },
    });
    expect(first!.lines[0]!.itemIds.map((i) => i.kind)).toEqual(["upc", "vendor"]);
    expect(first!.lines[1]!.description).toBe('Lettuce "iceberg"\nwashed');
    expect(first!.source.rows).toEqual({ first: 2, last: 4 });
    // 1002 states 6 but its line is 5: a warning at its row, not a rejection.
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.location.line])).toEqual([
      ["CSV.TotalMismatch", "warning", 5],
    ]);
  });

  it("reads the same in any chunking", async () => {
    const bytes = new TextEncoder().encode(EXPORT);
    const whole = await collect(parseCsv(bytes));
    for (const size of [1, 5, 64]) expect(await collect(parseCsv(chunked(bytes, size)))).toEqual(whole);
  });

  it("reports a key that comes back instead of merging it", async () => {
    const text = "invoice,qty,price\nA,1,1\nB,1,1\nA,2,2\n";
    const r = await collect(parseCsv(text));
    expect(r.invoices.map((i) => i.invoiceNumber)).toEqual(["A", "B", "A"]);
    expect(r.diagnostics.map((d) => [d.code, d.location.line])).toEqual([["CSV.KeyReappears", 4]]);
  });

  it("reads semicolons with decimal commas, Windows-1252 and a UTF-8 BOM", async () => {
    const text = "Rechnung;Datum;Menge;Preis;Betrag;Beschreibung\n";
    const rows = "R1;01.03.2024;2;1,50;3,00;Cr\xe8me br\xfbl\xe9e\n";
    const latin = Uint8Array.from(
      [
        ...`${text.replace("Rechnung", "Invoice No").replace("Menge", "Qty").replace("Preis", "Price").replace("Betrag", "Amount").replace("Beschreibung", "Description").replace("Datum", "Date")}${rows}`,
      ].map((c) => c.charCodeAt(0)),
    );
    const r = await collect(parseCsv(latin));
    expect(r.diagnostics).toEqual([]);
    expect(r.invoices[0]!.lines[0]).toMatchObject({
      quantity: "2",
      unitPrice: "1.50",
      amount: "3.00",
      description: "Crème brûlée",
    });
    expect(r.invoices[0]!.invoiceDate).toBe("2024-03-01");
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("invoice,qty\nX,1\n")]);
    expect((await collect(parseCsv(bom))).invoices[0]!.invoiceNumber).toBe("X");
  });

  it("locates bad values by line and column, and refuses unknown layouts", async () => {
    const r = await collect(parseCsv("invoice,qty,price\nA,two,1\n"));
    expect(r.diagnostics[0]).toMatchObject({
      code: "CSV.InvalidNumber",
      location: { line: 2, column: 2 },
      value: "two",
    });
    const unknown = await collect(parseCsv("name,colour\nx,red\n"));
    expect(codes(unknown)).toEqual(["CSV.UnknownLayout"]);
    expect(unknown.diagnostics[0]!.severity).toBe("fatal");
  });

  it("continues an invoice on rows whose key has blanks around it or is empty", async () => {
    const r = await collect(parseCsv("invoice,qty,price\nA,1,1\n A ,2,1\n,3,1\nB,1,1\n"));
    expect(r.invoices.map((i) => [i.invoiceNumber, i.lines.map((l) => l.quantity)])).toEqual([
      ["A", ["1", "2", "3"]],
      ["B", ["1"]],
    ]);
  });

  it("reads values with blanks, thousands separators and non-ASCII spaces as their text says", async () => {
    const text = 'invoice,qty,price,pack size\nA, 2 ,"1,234.50",6 / 5.5 lb\nA,\u00a03,007,12/1\u00a0#\n';
    const r = await collect(parseCsv(text));
    expect(r.diagnostics).toEqual([]);
    expect(r.invoices[0]!.lines.map((l) => [l.quantity, l.unitPrice, l.amount, l.pack])).toEqual([
      ["2", "1234.50", "2469.00", { pack: "6", size: "5.5", unit: "LB" }],
      ["3", "7", "21", { pack: "12", size: "1", unit: "#" }],
    ]);
  });

  it("reads credit memos by a type column and negates their money", async () => {
    const r = await collect(parseCsv("invoice,type,qty,price\nC1,Credit,1,4.25\n"));
    expect(r.invoices[0]).toMatchObject({ type: "creditMemo", total: "-4.25" });
  });
});

describe("CSV values and profiles", () => {
  it("reads supplier number formats", () => {
    const cases: [string, "." | "," | "auto", string | undefined][] = [
      ["1,234.50", "auto", "1234.50"],
      ["1.234,50", "auto", "1234.50"],
      ["12,5", "auto", "12.5"],
      ["1,234", "auto", "1234"],
      ["$ 1,234.00", ".", "1234.00"],
      ["(12.50)", "auto", "-12.50"],
      ["12.50-", "auto", "-12.50"],
      ["1.234.567", "auto", "1234567"],
      ["12,5", ".", undefined],
      ["abc", "auto", undefined],
      ["1,23,4", ".", undefined],
    ];
    for (const [text, mark, want] of cases) expect(readNumber(text, mark), text).toBe(want);
  });

  it("reads dates by pattern", () => {
    expect(readDate("03/01/2024")).toBe("2024-03-01");
    expect(readDate("20240301")).toBe("2024-03-01");
    expect(readDate("2024-03-01 00:00:00")).toBe("2024-03-01");
    expect(readDate("01.03.24", "DD.MM.YY")).toBe("2024-03-01");
    expect(readDate("02/30/2024")).toBeUndefined();
    expect(readDate("2/29/2024")).toBe("2024-02-29");
    expect(readDate("2/29/2023")).toBeUndefined();
    expect(readDate("12/31/1999 23:59")).toBe("1999-12-31");
    expect(readDate("2024-13-01")).toBeUndefined();
    expect(readDate("3.1.2024")).toBe("2024-01-03");
  });

  it("reads pack sizes as pack/size unit", () => {
    const cases: [string, [string, string, string] | undefined][] = [
      ["6/5 LB", ["6", "5", "LB"]],
      ["6 / 5.5 lb", ["6", "5.5", "lb"]],
      ["12/1#", ["12", "1", "#"]],
      ["4/5", ["4", "5", ""]],
      ["6/5\u00a0LB", ["6", "5", "LB"]],
      ["6/5 L B", undefined],
      ["6/.5 LB", undefined],
      ["6./5", undefined],
      ["６/5 LB", undefined],
      ["CASE", undefined],
      ["", undefined],
    ];
    for (const [text, want] of cases) expect(splitPackSize(text), text).toEqual(want);
  });

  it("checks profiles read from JSON", () => {
    expect(checkProfile(ALTO)).toEqual([]);
    expect(checkProfile({ name: "x", columns: { colour: 1 } })[0]).toContain(
      '"columns.colour" is not a field',
    );
    expect(recogniseHeaders(["Item", "Qty"])).toBeUndefined();
  });
});

describe("CSV tokenizer", () => {
  const records = (text: string, size = text.length) => {
    const out: { fields: string[]; line: number; endLine: number }[] = [];
    const errors: string[] = [];
    const t = createCsvTokenizer(
      { delimiter: ",", quote: '"' },
      (r) => out.push({ fields: r.fields(), line: r.line, endLine: r.endLine }),
      (m) => errors.push(m),
    );
    for (let i = 0; i < text.length; i += size) t.push(text.slice(i, i + size));
    t.end();
    return { out, errors };
  };

  it("reads quotes, doubled quotes, line breaks in quotes, CRLF, CR-only and blank lines, in any chunking", () => {
    const text = 'a,"b,1","say ""hi""\r\nthere"\r\n\r\n5" pipe,x\r\nlast,';
    for (const size of [1, 2, 3, 100]) {
      expect(records(text, size).out).toEqual([
        { fields: ["a", "b,1", 'say "hi"\r\nthere'], line: 1, endLine: 2 },
        { fields: ['5" pipe', "x"], line: 4, endLine: 4 },
        { fields: ["last", ""], line: 5, endLine: 5 },
      ]);
    }
    expect(records("a,b\rc,d\r").out.map((r) => r.fields)).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("hands out rows that slice their fields on demand, and copies that own their text", () => {
    const seen: string[][] = [];
    let kept: CsvRow | undefined;
    const t = createCsvTokenizer(
      { delimiter: ";", quote: '"' },
      (r) => {
        seen.push(Array.from({ length: r.count + 1 }, (_, i) => r.field(i) ?? "<none>"));
        kept ??= r.copy();
      },
      () => {},
    );
    t.push('x;"y;z"\r\n1;');
    t.push("2\r\n");
    t.end();
    expect(seen).toEqual([
      ["x", "y;z", "<none>"],
      ["1", "2", "<none>"],
    ]);
    expect(kept!.fields()).toEqual(["x", "y;z"]);
    expect([kept!.line, kept!.endLine]).toEqual([1, 1]);
  });

  it("stops at an unclosed quote instead of buffering the file", () => {
    const big = `"${"x".repeat(17 << 20)}`;
    expect(records(big, 1 << 20).errors[0]).toContain("an unclosed quote");
  });
});
