import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { detectFormat } from "../../src/formats/detect.js";
import type { Diagnostic } from "../../src/formats/diagnostics.js";
import { decodeEbcdic } from "../../src/formats/ebcdic.js";
import { createEnvelope, type InterchangeInfo, type SetInfo } from "../../src/formats/x12/envelope.js";
import { parseX12 } from "../../src/formats/x12/parse.js";
import { createX12Tokenizer, type Segment } from "../../src/formats/x12/tokenizer.js";
import { chunked, codes, collect, corpusFiles, readCorpus } from "./corpus.js";

interface Read {
  segments: Segment[];
  interchanges: InterchangeInfo[];
  sets: SetInfo[];
  diagnostics: Diagnostic[];
}

function read(text: string | Uint8Array, chunk = 1 << 16): Read {
  const out: Read = { segments: [], interchanges: [], sets: [], diagnostics: [] };
  const envelope = createEnvelope({
    diagnostic: (d) => out.diagnostics.push(d),
    interchangeEnd: (ic) => out.interchanges.push(ic),
    setEnd: (s) => out.sets.push(s),
  });
  const tokenizer = createX12Tokenizer({
    segment(s) {
      out.segments.push(s);
      envelope.segment(s);
    },
    diagnostic: (d) => out.diagnostics.push(d),
  });
  const input = typeof text === "string" ? text : new TextDecoder().decode(text);
  for (let i = 0; i < input.length; i += chunk) tokenizer.push(input.slice(i, i + chunk));
  tokenizer.end();
  envelope.end();
  return out;
}

const named = (folder: string, name: string) =>
  readCorpus(corpusFiles(folder).find((f) => f.includes(name))!);
const ISA =
  "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~";

describe("X12 tokenizer shapes", () => {
  it("re-reads separators at every ISA of a mailbag file", () => {
    const bytes = named("x12-shapes", "bots-mailbag");
    const r = read(bytes);
    const headers = new TextDecoder().decode(bytes).match(/(^|[^A-Z0-9])ISA[^A-Za-z0-9\s]/g)!;
    expect(r.interchanges).toHaveLength(headers.length);
    expect(r.interchanges.every((ic) => ic.isa)).toBe(true);
    expect(new Set(r.interchanges.map((ic) => ic.separators.segment)).size).toBeGreaterThan(1);
    const structural = ["X12.MissingSE", "X12.MissingGE", "X12.MissingIEA", "X12.UnexpectedSegment"];
    expect(r.diagnostics.filter((d) => structural.includes(d.code))).toEqual([]);
    expect(r.diagnostics.filter((d) => d.code === "X12.SegmentCountMismatch")).toEqual([]);
    // The file re-sends group 5 with the same set numbers: reported, with the 997 codes.
    expect(r.diagnostics.filter((d) => d.code === "X12.DuplicateGroup")).toHaveLength(1);
  });

  it("reads a multi-byte terminator (U+2026), NAK + CRLF and spaces after the terminator", () => {
    for (const name of ["staedi-214-ellipsis", "bots-850-brace-nak", "bots-850-space-after"]) {
      const r = read(named("x12-shapes", name));
      expect(r.sets.length, name).toBeGreaterThan(0);
      expect(
        r.diagnostics.filter((d) => d.severity !== "warning"),
        name,
      ).toEqual([]);
      expect(
        r.segments.every((s) => /^[A-Z][A-Z0-9]{1,2}$/.test(s.id)),
        name,
      ).toBe(true);
    }
  });

  it("reads | elements with ! components and > repetitions, and reports the truncated end of the file", () => {
    const pipe = read(named("x12-shapes", "silvenga-837"));
    expect(pipe.interchanges[0]!.separators).toEqual({
      element: "|",
      component: "!",
      repetition: ">",
      segment: "~",
    });
    expect(pipe.segments.find((s) => s.id === "CLM")!.elements[5]).toBe("13!A!1");
    expect(pipe.diagnostics.map((d) => d.code)).toEqual(["X12.MissingSE", "X12.MissingGE", "X12.MissingIEA"]);
  });

  it("handles a file hard-wrapped at 80 columns, including inside the ISA", () => {
    const flat = `${ISA}GS*IN*S*R*20240101*1200*1*X*004010~ST*810*0001~BIG*20240101*INV1~IT1*1*2*EA*3.5~TDS*700~SE*5*0001~GE*1*1~IEA*1*000000001~`;
    const wrapped = flat.replace(/(.{80})/g, "$1\r\n");
    const a = read(flat);
    const b = read(wrapped, 13);
    expect(b.segments.map((s) => s.elements)).toEqual(a.segments.map((s) => s.elements));
    expect(b.diagnostics).toEqual([]);
  });

  it("reads LF-terminated files (no ~) and CR-terminated files", () => {
    const lf = `${ISA.slice(0, -1)}\nGS*IN*S*R*20240101*1200*1*X*004010\nST*810*0001\nBIG*20240101*INV1\nTDS*0\nSE*4*0001\nGE*1*1\nIEA*1*000000001`;
    expect(read(lf).diagnostics).toEqual([]);
    expect(read(lf.replace(/\n/g, "\r")).diagnostics).toEqual([]);
    expect(read(lf.replace(/\n/g, "\r\n"), 5).segments).toHaveLength(8);
  });

  it("reads a short ISA by counting separators, with a warning", () => {
    const short = ISA.replace("SENDER         ", "SENDER");
    const r = read(
      `${short}GS*IN*S*R*20240101*1200*1*X*004010~ST*810*0001~BIG*20240101*1~TDS*0~SE*4*0001~GE*1*1~IEA*1*000000001~`,
    );
    expect(codes({ invoices: [], diagnostics: r.diagnostics })).toEqual(["X12.ISAWidth"]);
    expect(r.interchanges[0]!.senderId).toBe("SENDER");
  });

  it("does not split on ISA inside data", () => {
    const r = read(
      `${ISA}GS*IN*S*R*20240101*1200*1*X*004010~ST*810*0001~BIG*20240101*1~N1*ST*ISAAC~TDS*0~SE*5*0001~GE*1*1~IEA*1*000000001~`,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.segments.find((s) => s.id === "N1")!.elements[2]).toBe("ISAAC");
  });
});

describe("X12 envelope checks", () => {
  it("locates the SE01 count error of x12-invalid/gtl-se-count-mismatch", async () => {
    const r = await collect(parseX12(named("x12-invalid", "gtl-se-count")));
    const d = r.diagnostics.find((x) => x.code === "X12.SegmentCountMismatch")!;
    expect(d).toMatchObject({
      severity: "error",
      location: { segment: 4, segmentId: "SE", element: 1 },
      ack: { set: "4" },
    });
    expect(r.invoices).toEqual([]);
  });

  it("reports the missing GS and IEA of x12-invalid/badx12-isa-only", async () => {
    const r = await collect(parseX12(named("x12-invalid", "badx12-isa-only")));
    const d = r.diagnostics.find((x) => x.code === "X12.MissingIEA")!;
    expect(d).toMatchObject({
      severity: "error",
      location: { segment: 1, segmentId: "ISA" },
      ack: { ta1: "023" },
    });
  });

  it("reports each count and control number rule with its acknowledgement code", () => {
    const text = [
      ISA,
      "GS*IN*S*R*20240101*1200*7*X*004010~",
      "ST*810*0001~BIG*20240101*1~TDS*0~SE*9*0002~",
      "ST*810*0001~BIG*20240101*2~TDS*0~SE*4*0001~",
      "GE*5*8~",
      "IEA*3*000000002~",
    ].join("");
    const r = read(text);
    const got = r.diagnostics.map((d) => [d.code, d.location.segmentId, d.ack]);
    expect(got).toEqual([
      ["X12.SegmentCountMismatch", "SE", { set: "4" }],
      ["X12.ControlNumberMismatch", "SE", { set: "3" }],
      ["X12.DuplicateSet", "ST", { set: "23" }],
      ["X12.SetCountMismatch", "GE", { group: "5" }],
      ["X12.ControlNumberMismatch", "GE", { group: "4" }],
      ["X12.GroupCountMismatch", "IEA", { ta1: "021" }],
      ["X12.ControlNumberMismatch", "IEA", { ta1: "001" }],
    ]);
  });

  it("reports missing trailers and segments outside sets", () => {
    const r = read(`${ISA}GS*IN*S*R*20240101*1200*1*X*004010~BIG*1~ST*810*0001~BIG*20240101*1~`);
    expect(r.diagnostics.map((d) => d.code)).toEqual([
      "X12.UnexpectedSegment",
      "X12.MissingSE",
      "X12.MissingGE",
      "X12.MissingIEA",
    ]);
    expect(r.sets[0]!.truncated).toBe(true);
  });

  it("reports a duplicate interchange control number", () => {
    const one = `${ISA}IEA*0*000000001~`;
    expect(read(one + one).diagnostics.map((d) => [d.code, d.ack?.ta1])).toEqual([
      ["X12.DuplicateInterchange", "025"],
    ]);
  });

  it("gives a fatal diagnostic for input that is not X12", async () => {
    const r = await collect(parseX12("hello, world\nthis is not EDI\n"));
    expect(r.diagnostics.some((d) => d.severity === "fatal")).toBe(true);
    expect(r.invoices).toEqual([]);
  });
});

describe("X12 acknowledgement corpus reads through the envelope", () => {
  for (const file of corpusFiles("x12-ack")) {
    it(`reads ${basename(file)} in any chunking`, () => {
      const whole = read(readCorpus(file));
      expect(whole.segments.length).toBeGreaterThan(2);
      expect(whole.diagnostics.filter((d) => d.severity === "fatal")).toEqual([]);
      for (const size of [1, 3]) {
        const bytes = readCorpus(file);
        const parts = [...chunked(bytes, size)].map((c) => new TextDecoder().decode(c)).join("");
        expect(read(parts, size).segments.map((s) => s.elements)).toEqual(
          whole.segments.map((s) => s.elements),
        );
      }
    });
  }
});

describe("X12 credit memos", () => {
  it("negates the money of a credit memo written with positive amounts", async () => {
    const text = `${ISA}GS*IN*S*R*20240101*1200*1*X*004010~ST*810*0001~BIG*20240101*CM1**PO9***CR~IT1*1*2*EA*3.50~TDS*800~SAC*C*D240***100~SE*6*0001~GE*1*1~IEA*1*000000001~`;
    const r = await collect(parseX12(text));
    const inv = r.invoices[0]!;
    expect(inv.type).toBe("creditMemo");
    expect(inv.total).toBe("-8.00");
    expect(inv.lines[0]).toMatchObject({ quantity: "2", unitPrice: "-3.50", amount: "-7.00" });
    expect(inv.charges[0]!.amount).toBe("-1.00");
    expect(codes(r)).toEqual([]);
  });
});

describe("X12 in EBCDIC", () => {
  it("reads an interchange encoded in EBCDIC (cp037) like its ASCII original", async () => {
    const ascii = named("x12-810", "staedi-simple810");
    const table = decodeEbcdic(Uint8Array.from({ length: 256 }, (_, i) => i));
    const encode = new Map([...table].map((c, i) => [c, i]));
    const ebcdic = Uint8Array.from(new TextDecoder().decode(ascii), (c) => encode.get(c)!);
    const a = await collect(parseX12(ascii));
    const e = await collect(parseX12(chunked(ebcdic, 100)));
    expect(e).toEqual(a);
    expect(detectFormat(ebcdic)).toBe("x12");
  });
});
