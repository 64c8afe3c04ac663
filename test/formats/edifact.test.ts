import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEdifact } from "../../src/formats/edifact/parse.js";
import { createEdifactTokenizer, type EdifactSegment } from "../../src/formats/edifact/tokenizer.js";
import { chunked, collect, corpusFiles, expectedFor, readCorpus } from "./corpus.js";

const files = corpusFiles("edifact-invoic");
const named = (name: string) => files.find((f) => f.endsWith(`${name}.edi`))!;

function segments(bytes: Uint8Array): EdifactSegment[] {
  const out: EdifactSegment[] = [];
  const t = createEdifactTokenizer({ segment: (s) => out.push(s), diagnostic: () => {} });
  t.push(new TextDecoder().decode(bytes));
  t.end();
  return out;
}

describe("EDIFACT INVOIC corpus", () => {
  for (const file of files) {
    it(`reads ${basename(file)} into invoices, the same in any chunking`, async () => {
      const bytes = readCorpus(file);
      const whole = await collect(parseEdifact(bytes));
      expect(whole.invoices.length).toBeGreaterThan(0);
      expect(whole.diagnostics.filter((d) => d.severity === "fatal")).toEqual([]);
      for (const size of [1, 7]) expect(await collect(parseEdifact(chunked(bytes, size)))).toEqual(whole);
    });

    const expected = expectedFor(file) as { segmentTags?: string[] } | undefined;
    if (expected?.segmentTags) {
      it(`yields the segment tags staedi asserts for ${basename(file)}`, () => {
        expect(segments(readCorpus(file)).map((s) => s.tag)).toEqual(expected.segmentTags);
      });
    }
  }

  it("reads the hard-wrapped and the custom-UNA copies exactly like the plain file", () => {
    const plain = segments(readCorpus(named("staedi-invoic-d97b"))).map((s) => s.elements);
    expect(segments(readCorpus(named("staedi-invoic-d97b-wrapped"))).map((s) => s.elements)).toEqual(plain);
    const custom = segments(readCorpus(named("staedi-invoic-d97b-una-custom"))).slice(1);
    // Same content, but the custom file names its seller differently and releases "?" in 006?415160.
    expect(custom[0]!.elements[3]).toEqual(["006415160", "1"]);
    expect(custom.map((s) => s.tag)).toEqual(plain.map((e) => e[0]![0]));
  });

  it("maps the D97B invoice", async () => {
    const [inv] = (await collect(parseEdifact(readCorpus(named("staedi-invoic-d97b"))))).invoices;
    expect(inv).toMatchObject({
      invoiceNumber: "342459",
      invoiceDate: "2006-05-15",
      type: "invoice",
      typeCode: "380",
      purchaseOrder: { number: "521052" },
      currency: "USD",
      total: "2137.58",
    });
    // ALC+C+ABG puts its code in ALC02, not in C214 (ALC05): read as an uncoded charge.
    expect(inv!.charges).toEqual([{ kind: "charge", amount: "525" }]);
    expect(inv!.parties.map((p) => [p.role, p.code, p.id, p.idQualifier, p.name])).toEqual([
      ["buyer", "BY", "792820524", "16", "CUMMINS MID-RANGE ENGINE PLANT"],
      ["supplier", "SE", "005435656", "16", "BÜTTNER WIDGET COMPANY"],
    ]);
    expect(
      inv!.lines.map((l) => [
        l.lineNumber,
        l.quantity,
        l.unit,
        l.unitPrice,
        l.amount,
        l.description,
        l.itemIds[0]!.value,
      ]),
    ).toEqual([
      ["1", "1020", "EA", "1.179", "1202.58", "WIDGET", "157870"],
      ["2", "20", "EA", "20.5", "410", "DIFFERENT WIDGET", "157871"],
    ]);
    expect(inv!.source).toMatchObject({
      format: "edifact",
      documentType: "INVOIC",
      version: "D97B",
      sender: { id: "005435656", qualifier: "1" },
      interchangeControlNumber: "00000000000778",
      transactionControlNumber: "00000000000117",
    });
  });

  it("locates the bad values of the invalid D97B file", async () => {
    const r = await collect(parseEdifact(readCorpus(named("staedi-invoic-d97b-bad"))));
    expect(
      r.diagnostics.map((d) => [
        d.code,
        d.location.segmentId,
        d.location.element,
        d.location.component,
        d.value,
      ]),
    ).toEqual([
      ["EDIFACT.InvalidCode", "NAD", 1, 1, "BYZZ"],
      ["EDIFACT.InvalidNumber", "QTY", 1, 2, "1020A"],
      ["EDIFACT.InvalidNumber", "PRI", 1, 2, "$1.179"],
    ]);
  });

  it("reads EANCOM D96A: GLN parties, VAT references, terms, line allowances and taxes", async () => {
    const r = await collect(parseEdifact(readCorpus(named("bots-invoic-d96a-ean008-variant"))));
    const inv = r.invoices[0]!;
    expect(inv.source.version).toBe("D96A/EAN008");
    expect(inv.currency).toBe("EUR");
    expect(inv.parties.find((p) => p.role === "supplier")).toMatchObject({
      code: "SU",
      id: "8712345678910",
      idQualifier: "9",
      references: [{ qualifier: "VA", value: "NL00XXXXXXXXXXXX" }],
    });
    expect(inv.terms[0]).toMatchObject({
      typeCode: "22",
      basisDateCode: "5",
      discountDays: "30",
      discountPercent: "5",
    });
    expect(inv.lines[0]!.itemIds[0]).toEqual({ kind: "gtin", qualifier: "EN", value: "8712345678906" });
    expect(inv.lines[0]!.charges.map((c) => [c.kind, c.code, c.amount])).toEqual([
      ["allowance", "ADR", "70"],
      ["charge", "ADR", "50"],
      ["charge", "RAD", "100"],
    ]);
    expect(inv.lines[0]!.taxes[0]).toMatchObject({ type: "VAT", percent: "19" });
    expect(inv.totals.stated).toBe("286.2");
  });

  it("reads a credit note (BGM 381) with negated money, and checks UNT counts", async () => {
    const text =
      "UNB+UNOC:3+S:14+R:14+240101:1200+9'UNH+1+INVOIC:D:96A:UN'BGM+381+CN-1+9'LIN+1++123:EN'QTY+47:2'PRI+AAA:3'UNS+S'MOA+77:6'UNT+9+1'UNZ+1+9'";
    const r = await collect(parseEdifact(text));
    expect(r.invoices[0]).toMatchObject({ type: "creditMemo", total: "-6", lines: [{ amount: "-6" }] });
    expect(r.diagnostics.map((d) => [d.code, d.location.segmentId])).toEqual([
      ["EDIFACT.SegmentCountMismatch", "UNT"],
    ]);
  });
});
