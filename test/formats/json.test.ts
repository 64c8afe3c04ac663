import { describe, expect, it } from "vitest";
import type { Invoice } from "../../src/formats/invoice.js";
import { parseJson } from "../../src/formats/json/reader.js";
import { parseAll } from "../../src/formats/parse.js";
import { parseX12 } from "../../src/formats/x12/parse.js";
import { chunked, codes, collect, corpusFiles, readCorpus } from "./corpus.js";

async function corpusInvoices(): Promise<Invoice[]> {
  const all: Invoice[] = [];
  for (const file of corpusFiles("x12-810"))
    all.push(...(await collect(parseX12(readCorpus(file)))).invoices);
  return all;
}

describe("Inflow invoice JSON", () => {
  it("reads back what the X12 parser wrote, as an array, NDJSON or one object, in any chunking", async () => {
    const invoices = await corpusInvoices();
    const copy = () => JSON.parse(JSON.stringify(invoices)) as Invoice[];
    const array = new TextEncoder().encode(JSON.stringify(invoices, null, 2));
    const ndjson = invoices.map((i) => JSON.stringify(i)).join("\n");
    for (const input of [array, ndjson]) {
      const r = await collect(parseJson(input));
      expect(r.diagnostics).toEqual([]);
      expect(r.invoices).toEqual(copy());
    }
    const single = await collect(parseJson(JSON.stringify(invoices[0])));
    expect(single.invoices).toEqual([copy()[0]]);
    for (const size of [1, 13, 1000]) {
      expect((await collect(parseJson(chunked(array, size)))).invoices).toEqual(copy());
    }
  });

  it("validates each record against the schema and reports it by record, line and pointer", async () => {
    const text = `[\n {"invoiceNumber": "A", "lines": [], "total": "1.00"},\n {"invoiceNumber": "B", "lines": [{"quantity": 2.5}], "total": "x"},\n 42\n]`;
    const r = await collect(parseJson(text));
    expect(r.invoices.map((i) => i.invoiceNumber)).toEqual(["A"]);
    expect(r.invoices[0]).toMatchObject({ total: "1.00", source: { format: "json", record: 0 } });
    expect(
      r.diagnostics.map((d) => [d.code, d.location.record, d.location.line, d.location.pointer]),
    ).toEqual([
      ["JSON.SchemaViolation", 1, 3, "/lines/0/quantity"],
      ["JSON.SchemaViolation", 1, 3, "/total"],
      ["JSON.SchemaViolation", 2, 4, "/"],
    ]);
  });

  it("gives a fatal diagnostic for broken JSON and recognises JSON in parseAll", async () => {
    expect(codes(await collect(parseJson('[{"invoiceNumber": "A"')))).toEqual(["JSON.Syntax"]);
    const r = await parseAll(
      '{"invoiceNumber":"Z","lines":[{"quantity":"2","unitPrice":"1.25"}],"total":"2.50"}',
    );
    expect(r.invoices[0]!.lines[0]!.amount).toBeUndefined();
    expect(r.invoices[0]!.totals.stated).toBe("2.50");
  });
});
