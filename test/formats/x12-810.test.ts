import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { add, compare, format, multiply, parseDecimal } from "../../src/formats/decimal.js";
import type { Invoice, Party } from "../../src/formats/invoice.js";
import { parseJson } from "../../src/formats/json/reader.js";
import { rng, write810 } from "../../src/formats/samples.js";
import { isoDate } from "../../src/formats/x12/invoice-810.js";
import { parseX12 } from "../../src/formats/x12/parse.js";
import { chunked, codes, collect, corpusFiles, expectedFor, readCorpus } from "./corpus.js";

const files = corpusFiles("x12-810");
const sameNumber = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && compare(parseDecimal(a)!, parseDecimal(b)!) === 0;
// biome-ignore lint/suspicious/noExplicitAny: other libraries' readings are untyped JSON
type Json = any;
const isoFrom = (ccyymmdd: string) =>
  `${ccyymmdd.slice(0, 4)}-${ccyymmdd.slice(4, 6)}-${ccyymmdd.slice(6, 8)}`;

describe("X12 810 corpus", () => {
  it("has files to read", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(`reads ${basename(file)} into invoices without fatal diagnostics`, async () => {
      const result = await collect(parseX12(readCorpus(file), { file }));
      expect(result.invoices.length).toBeGreaterThan(0);
      expect(result.diagnostics.filter((d) => d.severity === "fatal")).toEqual([]);
      for (const inv of result.invoices) {
        expect(inv.invoiceNumber).not.toBe("");
        expect(parseDecimal(inv.total)).toBeDefined();
        expect(inv.source.format).toBe("x12");
        expect(inv.source.segments!.first).toBeLessThan(inv.source.segments!.last);
      }
    });

    it(`reads ${basename(file)} the same in 1, 7 and 4096-byte chunks`, async () => {
      const bytes = readCorpus(file);
      const whole = await collect(parseX12(bytes));
      for (const size of [1, 7, 4096]) {
        expect(await collect(parseX12(chunked(bytes, size)))).toEqual(whole);
      }
    });
  }
});

describe("X12 810 cross-checks with other libraries' readings", () => {
  it("bots-retailer-810-1: bots translator output", async () => {
    const file = files.find((f) => f.includes("bots-retailer-810-1"))!;
    const exp = (expectedFor(file) as { message: Record<string, unknown> }).message as Json;
    const [inv] = (await collect(parseX12(readCorpus(file)))).invoices as [Invoice];
    expect(inv.source.sender?.id).toBe(exp.sender);
    expect(inv.source.receiver?.id).toBe(exp.receiver);
    expect(inv.source.testIndicator).toBe(exp.testindicator);
    expect(inv.invoiceNumber).toBe(exp.docnum);
    expect(inv.invoiceDate).toBe(exp.docdtm);
    expect(inv.purchaseOrder?.number).toBe(exp.ordernumber);
    expect(sameNumber(inv.total, exp.totalinvoiceamount)).toBe(true);
    expect(sameNumber(inv.terms[0]?.discountPercent, exp.termsdiscountpercent)).toBe(true);
    expect(sameNumber(inv.terms[0]?.discountDays, exp.termsdiscountdaysdue)).toBe(true);
    const parties = exp.partys.party as Record<string, string>[];
    expect(inv.parties.map((p) => p.code)).toEqual(parties.map((p) => p.qual));
    for (const [i, p] of parties.entries()) {
      const got = inv.parties[i] as Party;
      expect(got.name).toBe(p.name1);
      if (p.name2) expect(got.additionalNames).toContain(p.name2);
      expect(got.address?.lines).toEqual([p.address1, p.address2].filter(Boolean));
      expect(got.address?.city).toBe(p.city);
      expect(got.address?.state).toBe(p.state);
      expect(got.address?.postalCode).toBe(p.pcode);
      expect(got.address?.country).toBe(p.country);
    }
    const lines = exp.lines.line as Record<string, string>[];
    expect(inv.lines).toHaveLength(lines.length);
    for (const [i, l] of lines.entries()) {
      const got = inv.lines[i]!;
      expect(got.lineNumber).toBe(l.linenum);
      expect(got.itemIds.find((id) => id.kind === "vendor")?.value).toBe(l.suart);
      expect(got.itemIds.find((id) => id.kind === "buyer")?.value).toBe(l.byart);
      expect(sameNumber(got.quantity, l.invqua)).toBe(true);
      expect(got.description).toBe(l.desc);
      expect(sameNumber(got.unitPrice, l.price)).toBe(true);
      expect(got.unit).toBe(l.ordunit);
    }
  });

  it("fromedi-vics-newline: fromedi's partial reading", async () => {
    const file = files.find((f) => f.includes("fromedi-vics-newline"))!;
    const exp = expectedFor(file) as Json;
    const result = await collect(parseX12(readCorpus(file)));
    const [inv] = result.invoices as [Invoice];
    expect(inv.source.sender).toEqual({ qualifier: exp.sender_qualifier, id: exp.sender_id });
    expect(inv.source.receiver).toEqual({ qualifier: exp.receiver_qualifier, id: exp.receiver_id });
    expect(inv.source.interchangeControlNumber).toBe(exp.control_number);
    expect(inv.source.testIndicator).toBe(exp.usage_indicator);
    const group = exp.groups[0];
    expect(inv.source.groupControlNumber).toBe(group.control_number);
    expect(inv.source.version).toBe(group["version/release/identifier_code"]);
    const tx = group.transactions[0];
    expect(inv.source.documentType).toBe(tx.identifier_code);
    expect(inv.source.transactionControlNumber).toBe(tx.control_number);
    expect(inv.invoiceNumber).toBe(tx.invoice_number);
    expect(inv.invoiceDate).toBe(isoFrom(tx.invoice_date));
    expect(inv.purchaseOrder).toEqual({ number: tx.order_number, date: isoFrom(tx.order_date) });
    expect(inv.references.find((r) => r.qualifier === "DP")?.value).toBe(tx.department_number);
    expect(inv.references.find((r) => r.qualifier === "IA")?.value).toBe(tx.internal_vendor_number);
    for (const [i, n] of (tx.names as Record<string, string>[]).entries()) {
      const p = inv.parties[i]!;
      expect(p.code).toBe(n.entity_id_code);
      expect(p.name ?? "").toBe(n.name);
      expect(p.idQualifier).toBe(n.id_code_qualifier);
      expect(p.id).toBe(n.id_code);
    }
    expect(inv.lines).toHaveLength(tx.IT1s.length);
    // fromedi keeps TDS01 raw; the element is N2, so 21740 is 217.40.
    expect(inv.total).toBe("217.40");
    expect(sameNumber(inv.total, String(Number(tx.total_amount) / 100))).toBe(true);
    // The file's own envelope errors, located.
    const se = result.diagnostics.find((d) => d.code === "X12.SegmentCountMismatch")!;
    expect(se.location).toMatchObject({ segmentId: "SE", element: 1 });
    expect(se.ack?.set).toBe("4");
    const iea = result.diagnostics.find((d) => d.location.segmentId === "IEA")!;
    expect(iea).toMatchObject({ code: "X12.ControlNumberMismatch", ack: { ta1: "001" } });
  });
});

describe("X12 810 mapping", () => {
  const read = async (name: string) => collect(parseX12(readCorpus(files.find((f) => f.includes(name))!)));

  it("reads N2 implied decimals in TDS and SAC, and checks lines + charges - allowances against TDS", async () => {
    const walmart = await read("oopfactory-walmart");
    const inv = walmart.invoices[0]!;
    expect(inv.total).toBe("3875.30");
    expect(inv.lines[0]!.amount).toBe("3898.80");
    expect(inv.lines[0]!.charges).toEqual([
      { kind: "allowance", code: "I410", amount: "23.50", handlingCode: "02" },
    ]);
    expect(codes(walmart)).not.toContain("X12.810.TotalMismatch");
    const tempur = await read("oopfactory-tempurpedic");
    expect(tempur.invoices[0]!.total).toBe("56358.00");
    expect(tempur.invoices[0]!.totals.lines).toBe("56358");
  });

  it("warns (never rejects) when TDS does not match the lines, and hints at a missing implied decimal", async () => {
    const maersk = await read("x12types-maersk");
    const warning = maersk.diagnostics.find((d) => d.code === "X12.810.TotalMismatch")!;
    expect(warning.severity).toBe("warning");
    expect(warning.message).toContain("implied decimals");
    expect(maersk.invoices).toHaveLength(1);
    expect(maersk.invoices[0]!.currency).toBe("GBP");
    expect(maersk.invoices[0]!.taxes[0]).toMatchObject({ type: "TX", amount: "0" });
  });

  it("never reads an invoice without its SE: a file cut off inside one is fatal, a set cut short by the next one is an error", async () => {
    const text = [...write810({ seed: 7, invoices: 2, minLines: 3, maxLines: 3 })].join("");
    const whole = await collect(parseX12(Buffer.from(text)));
    const [first, second] = whole.invoices.map((invoice) => invoice.invoiceNumber);

    const cut = await collect(parseX12(Buffer.from(text.slice(0, text.lastIndexOf("TDS")))));
    expect(cut.invoices).toEqual(whole.invoices.slice(0, 1));
    const truncated = cut.diagnostics.find((d) => d.code === "X12.Truncated")!;
    expect(truncated).toMatchObject({ severity: "fatal", location: { segmentId: "ST" } });
    expect(truncated.message).toContain(second);

    // The first set's SE is gone, the second set follows: the first invoice is not read.
    const firstSe = text.indexOf("SE*");
    const shortened = await collect(
      parseX12(Buffer.from(text.slice(0, firstSe) + text.slice(text.indexOf("\n", firstSe) + 1))),
    );
    expect(shortened.invoices.map((invoice) => [invoice.invoiceNumber, invoice.total])).toEqual(
      whole.invoices.slice(1).map((invoice) => [invoice.invoiceNumber, invoice.total]),
    );
    const incomplete = shortened.diagnostics.find((d) => d.code === "X12.810.Incomplete")!;
    expect(incomplete).toMatchObject({ severity: "error", location: { segmentId: "ST" } });
    expect(incomplete.message).toContain(first);
  });

  it("reads several sets per group, pipe separators, empty UOM and the CTT hash total", async () => {
    expect((await read("staedi-simple810")).invoices.map((i) => i.lines.length)).toEqual([7, 2]);
    const pipe = await read("stupidedi-in810-pipe");
    const inv = pipe.invoices[0]!;
    expect(inv.lines[0]!.unit).toBeUndefined();
    expect(inv.lines[0]!.itemIds[0]).toEqual({ kind: "ean", qualifier: "EN", value: "9781501331978" });
    expect(inv.totals.hashTotal).toBe("5");
    expect(codes(pipe).filter((c) => c.startsWith("X12.810"))).toEqual([]);
  });

  it("reads free-text terms and lines without a price", async () => {
    const staedi = await read("staedi-simple810");
    expect(staedi.invoices[0]!.terms[0]).toMatchObject({
      typeCode: "01",
      discountPercent: "1.000",
      description: "1/15 NET 30",
    });
    const noPrice = await read("bots-supplier-810-3");
    expect(noPrice.invoices[0]!.lines[0]!.unitPrice).toBeUndefined();
    expect(noPrice.invoices[0]!.lines[0]!.amount).toBeUndefined();
  });

  it("reads a 5010 810 whose ISA11 is U (no repetition separator)", async () => {
    const r = await read("x12types-edi2xml-5010");
    expect(r.invoices[0]!.source.version).toBe("005010");
    expect(r.invoices[0]!.total).toBe("57.70");
  });
});

describe("X12 dates", () => {
  it("reads CCYYMMDD and windowed YYMMDD, and refuses impossible days", () => {
    expect(isoDate("20240229")).toBe("2024-02-29");
    expect(isoDate("20230229")).toBeUndefined();
    expect(isoDate("21000229")).toBeUndefined();
    expect(isoDate("20000229")).toBe("2000-02-29");
    expect(isoDate("240301")).toBe("2024-03-01");
    expect(isoDate("990301")).toBe("1999-03-01");
    expect(isoDate("20241131")).toBeUndefined();
    expect(isoDate("20241301")).toBeUndefined();
    expect(isoDate("20240100")).toBeUndefined();
    for (const bad of ["2024031", "2024-03-01", "2024O301", "", "202403011"])
      expect(isoDate(bad)).toBeUndefined();
  });
});

/**
 * A small 810 built from values drawn with a seeded generator, with the segments of the line-level N1 loop,
 * SLN, SDQ, CAD (line and summary), ISS and FOB, so every value read can be checked against what was written.
 */
function lineDetail810(seed: number, version: "004010" | "005010") {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const n = (max: number) => 1 + Math.floor(r() * max);
  const money = () => `${n(90)}.${String(Math.floor(r() * 100)).padStart(2, "0")}`;
  const lines = Array.from({ length: n(4) }, (_, i) => ({
    number: String(i + 1),
    quantity: String(n(20)),
    price: money(),
    shipTo: { name: `STORE ${n(900)}`, id: String(n(99999)), city: pick(["ATLANTA", "DENVER", "BOSTON"]) },
    sublines: Array.from({ length: n(2) }, (_, j) => ({
      id: `${i + 1}.${j + 1}`,
      quantity: String(n(6)),
      unit: pick(["EA", "CA"]),
      price: money(),
      upc: String(100000000000 + n(899999999999)),
      description: pick(["SAUCE CUP", "LID 16OZ"]),
    })),
    destinations: Array.from({ length: n(3) }, () => ({ location: String(n(9999)), quantity: String(n(9)) })),
    scac: pick(["ABCD", "XYZQ"]),
  }));
  const iss = { units: String(n(500)), weight: `${n(9000)}.5`, description: "MIXED PALLETS" };
  const segments = [
    `ST*810*0001${version === "005010" ? "*005010" : ""}`,
    "BIG*20240301*INV-GEN-1*20240225*PO-9",
    "N1*ST*HEADQUARTERS*92*1",
    "FOB*PP*OR*DALLAS TX*01*FOB",
  ];
  for (const l of lines) {
    segments.push(`IT1*${l.number}*${l.quantity}*CA*${l.price}**VN*SKU${l.number}`);
    segments.push(`SDQ*CA*92*${l.destinations.map((d) => `${d.location}*${d.quantity}`).join("*")}`);
    segments.push(`CAD*M***${l.scac}*GROUND`);
    for (const s of l.sublines)
      segments.push(
        `SLN*${s.id}**I*${s.quantity}*${s.unit}>1*${s.price}*PE**UP*${s.upc}`,
        `PID*F****${s.description}`,
      );
    segments.push(`N1*ST*${l.shipTo.name}*92*${l.shipTo.id}`, "N3*1 MAIN ST", `N4*${l.shipTo.city}*GA*30303`);
  }
  const total = lines.reduce(
    (t, l) => add(t, parseDecimal(multiply(l.quantity, l.price)!)!),
    parseDecimal("0")!,
  );
  segments.push(
    `TDS*${format(total, 2).replace(".", "")}`,
    "CAD*M***ABCD*FREIGHT LINE**BM*BOL123",
    `ISS*${iss.units}*CA*${iss.weight}*LB`,
    `PID*F****${iss.description}`,
    `CTT*${lines.length}`,
  );
  segments.push(`SE*${segments.length + 1}*0001`);
  const isa = `ISA*00*          *00*          *ZZ*S              *ZZ*R              *240301*1200*${version === "005010" ? "^*00501" : "U*00401"}*000000001*0*P*>`;
  const text = [isa, `GS*IN*S*R*20240301*1200*1*X*${version}`, ...segments, "GE*1*1", "IEA*1*000000001"].join(
    "~\n",
  );
  return { text: `${text}~\n`, lines, iss };
}

describe("X12 810 line-level detail (generated)", () => {
  for (const [seed, version] of [
    [1, "004010"],
    [2, "005010"],
    [3, "004010"],
  ] as const) {
    it(`maps line parties, sublines, destination quantities, carriers, shipment summary and FOB (seed ${seed}, ${version})`, async () => {
      const g = lineDetail810(seed, version);
      const r = await collect(parseX12(g.text));
      expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
      expect(r.diagnostics.map((d) => d.code)).toEqual([]);
      const [inv] = r.invoices;
      expect(inv!.fob).toEqual({
        paymentMethod: "PP",
        locationQualifier: "OR",
        location: "DALLAS TX",
        termsQualifier: "01",
        terms: "FOB",
      });
      // Header parties stay the header's: the line N1 loops go to their lines.
      expect(inv!.parties.map((p) => p.name)).toEqual(["HEADQUARTERS"]);
      expect(inv!.lines).toHaveLength(g.lines.length);
      for (const [i, l] of g.lines.entries()) {
        const line = inv!.lines[i]!;
        expect(line.parties).toEqual([
          {
            role: "shipTo",
            code: "ST",
            name: l.shipTo.name,
            idQualifier: "92",
            id: l.shipTo.id,
            address: { lines: ["1 MAIN ST"], city: l.shipTo.city, state: "GA", postalCode: "30303" },
          },
        ]);
        expect(line.destinations).toEqual(
          l.destinations.map((d) => ({
            location: d.location,
            quantity: d.quantity,
            qualifier: "92",
            unit: "CA",
          })),
        );
        expect(line.carriers).toEqual([{ transportMethod: "M", scac: l.scac, routing: "GROUND" }]);
        expect(line.sublines).toEqual(
          l.sublines.map((s) => ({
            lineNumber: s.id,
            relationship: "I",
            quantity: s.quantity,
            unit: s.unit,
            unitPrice: s.price,
            priceBasis: "PE",
            itemIds: [{ kind: "upc", qualifier: "UP", value: s.upc }],
            description: s.description,
          })),
        );
        // Sublines are parts of their line: the line's amount and description are its own.
        expect(line.amount).toBe(multiply(l.quantity, l.price));
        expect(line.description).toBeUndefined();
      }
      expect(inv!.carriers).toEqual([
        {
          transportMethod: "M",
          scac: "ABCD",
          routing: "FREIGHT LINE",
          reference: { qualifier: "BM", value: "BOL123" },
        },
      ]);
      expect(inv!.shipments).toEqual([
        {
          units: g.iss.units,
          unit: "CA",
          weight: g.iss.weight,
          weightUnit: "LB",
          description: g.iss.description,
        },
      ]);
      expect(inv!.notes).toEqual([]);
      // The new fields are in the JSON Schema: Inflow's own JSON reader takes the invoice back as it is.
      const back = await collect(parseJson(JSON.stringify(inv)));
      expect(back.diagnostics).toEqual([]);
      expect(back.invoices[0]!.lines[0]!.sublines).toEqual(inv!.lines[0]!.sublines);
    });
  }

  it("puts errors in these segments into their loops for the acknowledgement", async () => {
    const g = lineDetail810(4, "004010");
    const bad = g.text.replace(/^SLN\*([^*]+)\*\*I\*\d+/m, "SLN*$1**I*X1").replace(/^ISS\*\d+/m, "ISS*9Q");
    const r = await collect(parseX12(bad));
    expect(
      r.diagnostics.map((d) => [
        d.code,
        d.location.segmentId,
        d.location.loop,
        d.location.element,
        d.ack?.elementReference,
      ]),
    ).toEqual([
      ["X12.InvalidNumber", "SLN", "SLN", 4, "380"],
      ["X12.InvalidNumber", "ISS", "ISS", 1, "382"],
    ]);
  });
});
