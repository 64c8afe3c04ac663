import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { writeAcknowledgements } from "../../src/formats/x12/ack-997.js";
import {
  type AckReadEvent,
  type FunctionalAck,
  type InterchangeAck,
  readAcknowledgements,
} from "../../src/formats/x12/ack-reader.js";
import { parseX12 } from "../../src/formats/x12/parse.js";
import { collect, corpusFiles, expectedFor, readCorpus } from "./corpus.js";

async function readAcks(source: Uint8Array | string) {
  const events: AckReadEvent[] = [];
  for await (const e of readAcknowledgements(source)) events.push(e);
  return {
    functional: events.flatMap((e) => (e.kind === "functional" ? [e.ack] : [])) as FunctionalAck[],
    interchange: events.flatMap((e) => (e.kind === "interchange" ? [e.ack] : [])) as InterchangeAck[],
    diagnostics: events.flatMap((e) => (e.kind === "diagnostic" ? [e.diagnostic] : [])),
  };
}

async function writeAcks(source: Uint8Array | string): Promise<string> {
  let text = "";
  for await (const e of writeAcknowledgements(source, { now: new Date("2024-05-01T10:00:00Z") })) {
    if (e.kind === "text") text += e.text;
  }
  return text;
}

const named = (folder: string, name: string) =>
  readCorpus(corpusFiles(folder).find((f) => f.includes(name))!);

describe("reading the 997/999/TA1 corpus", () => {
  for (const file of corpusFiles("x12-ack")) {
    it(`reads ${basename(file)}`, async () => {
      const r = await readAcks(readCorpus(file));
      expect(r.functional.length + r.interchange.length).toBeGreaterThan(0);
      expect(r.diagnostics.filter((d) => d.severity === "fatal")).toEqual([]);
      for (const ack of r.functional) {
        for (const set of ack.sets) expect(set.status ?? "missing").toMatch(/^[AERMWX]$|missing/);
      }
    });
  }

  it("agrees with edi-x12's reading of gtl-997-4010", async () => {
    const file = corpusFiles("x12-ack").find((f) => f.includes("gtl-997"))!;
    // biome-ignore lint/suspicious/noExplicitAny: another library's JSON
    const exp = expectedFor(file) as any;
    const st = exp.ISA[0].GS[0].ST[0];
    const [ack] = (await readAcks(readCorpus(file))).functional;
    expect(ack!.type).toBe(st["@"][0]);
    expect(ack!.controlNumber).toBe(st["@"][1]);
    expect([ack!.functionalId, ack!.groupControlNumber]).toEqual(st.AK1[0]);
    expect([ack!.status, String(ack!.included), String(ack!.received), String(ack!.accepted)]).toEqual(
      st.AK9[0],
    );
  });

  it("reads AK3/AK4 and a partially accepted group (stupidedi 997 5010)", async () => {
    const [ack] = (await readAcks(named("x12-ack", "stupidedi-997"))).functional;
    expect(ack!.sets.map((s) => [s.controlNumber, s.status, s.codes])).toEqual([
      ["0001", "A", []],
      ["0002", "R", ["5"]],
    ]);
    expect(ack!.sets[1]!.segmentErrors[0]).toMatchObject({
      segmentId: "CLM",
      position: "22",
      code: "8",
      elementErrors: [{ position: "1", reference: "1028", code: "1" }],
    });
    expect([ack!.status, ack!.included, ack!.received, ack!.accepted]).toEqual(["P", 2, 2, 1]);
  });

  it("reads 999 IK3/CTX/IK4/IK5 and a TA1 that rides before the GS", async () => {
    const [dhs] = (await readAcks(named("x12-ack", "oopfactory-999"))).functional;
    expect(dhs!.type).toBe("999");
    expect(dhs!.sets.map((s) => s.status)).toEqual(["A", "R", "R"]);
    expect(dhs!.sets[1]!.segmentErrors[0]!.context).toEqual(["CLM01:123456789"]);
    const withTa1 = await readAcks(named("x12-ack", "bots-997-with-ta1"));
    expect(withTa1.interchange).toEqual([
      { controlNumber: "000484889", date: "040709", time: "1339", status: "R", note: "015" },
    ]);
    expect(withTa1.functional[0]!.sets[0]!.codes).toEqual(["3", "7"]);
  });
});

describe("writing acknowledgements", () => {
  for (const file of [...corpusFiles("x12-810"), ...corpusFiles("x12-invalid")]) {
    it(`acknowledges ${basename(file)} and reads the result back`, async () => {
      const bytes = readCorpus(file);
      const inbound = await collect(parseX12(bytes));
      const text = await writeAcks(bytes);
      if (text === "") {
        // Bare ST..SE without ISA/GS: no addresses to acknowledge to.
        expect(inbound.invoices.every((i) => !i.source.interchangeControlNumber)).toBe(true);
        return;
      }
      const back = await readAcks(text);
      expect(back.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
      const sets = back.functional.flatMap((a) => a.sets);
      // One AK2 per inbound set of every acknowledged group; AK9 counts agree with the AK2s.
      for (const ack of back.functional) {
        expect(ack.received).toBe(ack.sets.length);
        expect(ack.accepted).toBe(ack.sets.filter((s) => s.status === "A").length);
      }
      const invoicesWithEnvelope = inbound.invoices.filter((i) => i.source.groupControlNumber);
      expect(sets.filter((s) => s.id === "810")).toHaveLength(invoicesWithEnvelope.length);
    });
  }

  it("rejects a set whose SE01 is wrong (AK5 R 4) and notes the IEA02 mismatch in a TA1", async () => {
    const back = await readAcks(await writeAcks(named("x12-810", "fromedi-vics")));
    expect(back.functional[0]!.sets[0]).toMatchObject({
      id: "810",
      controlNumber: "1004",
      status: "R",
      codes: ["4"],
    });
    expect(back.functional[0]).toMatchObject({
      type: "997",
      functionalId: "IN",
      groupControlNumber: "1320",
      status: "R",
    });
    expect(back.interchange).toEqual([
      { controlNumber: "000003438", date: "101127", time: "1719", status: "E", note: "001" },
    ]);
  });

  it("writes a 999 for a 5010 group, and a TA1 when ISA14 asks for it", async () => {
    const five = await readAcks(await writeAcks(named("x12-810", "x12types-edi2xml-5010")));
    expect(five.functional[0]).toMatchObject({
      type: "999",
      version: "005010",
      status: "A",
      sets: [{ status: "A" }],
    });
    const requested = await readAcks(await writeAcks(named("x12-810", "bots-supplier-810-9")));
    expect(requested.interchange[0]).toMatchObject({ status: "A", note: "000" });
  });

  it("reports element errors as AK3/AK4 with the bad value", async () => {
    const isa =
      "ISA*00*          *00*          *ZZ*S              *ZZ*R              *240101*1200*U*00401*000000001*0*P*>~";
    const text = `${isa}GS*IN*S*R*20240101*1200*1*X*004010~ST*810*0001~BIG*20241301*INV~IT1*1*2X*EA*3~TDS*6~SE*5*0001~GE*1*1~IEA*1*000000001~`;
    const [ack] = (await readAcks(await writeAcks(text))).functional;
    expect(ack!.sets[0]).toMatchObject({ status: "R", codes: ["5"] });
    expect(ack!.sets[0]!.segmentErrors).toEqual([
      {
        segmentId: "BIG",
        position: "2",
        code: "8",
        context: [],
        elementErrors: [{ position: "1", reference: "373", code: "8", value: "20241301" }],
      },
      {
        segmentId: "IT1",
        position: "3",
        loop: "IT1",
        code: "8",
        context: [],
        elementErrors: [{ position: "2", reference: "358", code: "6", value: "2X" }],
      },
    ]);
  });

  const ISA5010 =
    "ISA*00*          *00*          *ZZ*S              *ZZ*R              *240101*1200*^*00501*000000001*0*P*>~";

  it("writes one AK3 per segment in error with all its AK4s, the loop, mandatory elements and bad codes", async () => {
    const isa =
      "ISA*00*          *00*          *ZZ*S              *ZZ*R              *240101*1200*U*00401*000000001*0*P*>~";
    const set = [
      "ST*810*0001",
      "BIG*20240101*INV1",
      "N1*ST*STORE",
      "N3*1 MAIN ST",
      "IT1*1*2X*EA*3Y",
      "SAC*Q*C310***100",
      "IT1*2*1*EA*4",
      "SAC*A*C310***1O",
      "TXI**5",
      "TDS*X",
      "SE*11*0001",
    ];
    const text = `${isa}GS*IN*S*R*20240101*1200*1*X*004010~${set.join("~")}~GE*1*1~IEA*1*000000001~`;
    const written = await writeAcks(text);
    const [ack] = (await readAcks(written)).functional;
    expect(ack!.sets[0]).toMatchObject({ status: "R", codes: ["5"] });
    expect(
      ack!.sets[0]!.segmentErrors.map((e) => [
        e.segmentId,
        e.position,
        e.loop,
        e.code,
        e.elementErrors.map((x) => [x.position, x.reference, x.code, x.value]),
      ]),
    ).toEqual([
      [
        "IT1",
        "5",
        "IT1",
        "8",
        [
          ["2", "358", "6", "2X"],
          ["4", "212", "6", "3Y"],
        ],
      ],
      ["SAC", "6", "SAC", "8", [["1", "248", "7", "Q"]]],
      ["SAC", "8", "SAC", "8", [["5", "610", "6", "1O"]]],
      ["TXI", "9", "SAC", "8", [["1", "963", "1", undefined]]],
      ["TDS", "10", undefined, "8", [["1", "610", "6", "X"]]],
    ]);
    // A 997 has no CTX.
    expect(written).not.toContain("CTX");
  });

  it("reports a missing mandatory segment where it was expected", async () => {
    const text = `${ISA5010}GS*IN*S*R*20240101*1200*1*X*005010~ST*810*0001~IT1*1*1*EA*1~SE*3*0001~GE*1*1~IEA*1*000000001~`;
    const [ack] = (await readAcks(await writeAcks(text))).functional;
    expect(ack!.sets[0]!.segmentErrors.map((e) => [e.segmentId, e.position, e.code])).toEqual([
      ["BIG", "2", "3"],
    ]);
  });

  it("writes 999 IK3/IK4 with the invoice as the business unit (CTX) for errors within it", async () => {
    const set = ["ST*810*0001*005010", "BIG*20240101*INV-7", "IT1*1*2X*EA*3", "TDS*600", "SE*5*0001"];
    const text = `${ISA5010}GS*IN*S*R*20240101*1200*1*X*005010~${set.join("~")}~GE*1*1~IEA*1*000000001~`;
    const written = await writeAcks(text);
    expect(written).toContain("IK3*IT1*3*IT1*8~\nCTX*BIG02>INV-7~\nIK4*2*358*6*2X~\nIK5*R*5~");
    const [ack] = (await readAcks(written)).functional;
    expect(ack!.type).toBe("999");
    expect(ack!.sets[0]!.segmentErrors).toEqual([
      {
        segmentId: "IT1",
        position: "3",
        loop: "IT1",
        code: "8",
        context: ["BIG02>INV-7"],
        elementErrors: [{ position: "2", reference: "358", code: "6", value: "2X" }],
      },
    ]);
    // Without a usable invoice number there is no business unit to name.
    const unnamed = await writeAcks(text.replace("BIG*20240101*INV-7", "BIG*20240101*"));
    expect(unnamed).toContain("IK3*BIG*2**8~\nIK4*2*76*1~\nIK3*IT1*3*IT1*8~\nIK4*2*358*6*2X~");
    expect(unnamed).not.toContain("CTX");
  });
});
