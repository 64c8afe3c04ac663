/**
 * Property tests: corpus and generated files, mutated at random (bytes changed, deleted, inserted, separators
 * and line breaks injected) and cut into random chunks, never make a parser throw or hang; every event is an
 * invoice or a typed diagnostic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDecimal } from "../../src/formats/decimal.js";
import type { ParseEvent } from "../../src/formats/invoice.js";
import { parseInvoices } from "../../src/formats/parse.js";
import { asBytes, write810, writeCsv, writeInvoic, writeJson } from "../../src/formats/samples.js";
import { writeAcknowledgements } from "../../src/formats/x12/ack-997.js";
import { chunked, corpusFiles, readCorpus } from "./corpus.js";

const SEEDS: [string, Uint8Array][] = [
  ...["x12-810", "x12-ack", "x12-invalid", "x12-shapes", "edifact-invoic"].flatMap((folder) =>
    corpusFiles(folder).map((f): [string, Uint8Array] => [f, readCorpus(f)]),
  ),
  ...corpusFiles("csv", ".csv").map((f): [string, Uint8Array] => [f, readCorpus(f)]),
  [
    "generated 810",
    Buffer.concat([...asBytes(write810({ seed: 7, invoices: 3, minLines: 2, maxLines: 4 }))]),
  ],
  [
    "generated INVOIC",
    Buffer.concat([...asBytes(writeInvoic({ seed: 7, invoices: 3, minLines: 2, maxLines: 4 }))]),
  ],
  [
    "generated CSV",
    Buffer.concat([...asBytes(writeCsv({ seed: 7, invoices: 3, minLines: 2, maxLines: 4 }))]),
  ],
  [
    "generated JSON",
    Buffer.concat([...asBytes(writeJson({ seed: 7, invoices: 3, minLines: 2, maxLines: 4, array: true }))]),
  ],
];

/** Bytes that matter to the formats: separators, terminators, quotes, brackets, line breaks, invalid UTF-8. */
const INTERESTING = [
  0x2a, 0x7e, 0x7c, 0x3e, 0x3a, 0x5e, 0x2b, 0x27, 0x3f, 0x2c, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x0a, 0x0d, 0x15,
  0x00, 0xff, 0xc3, 0xe2, 0x20,
];

const edit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("replace", "delete", "insert", "duplicate"),
  byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
  length: fc.integer({ min: 1, max: 40 }),
});

interface Edit {
  at: number;
  kind: string;
  byte: number;
  length: number;
}

function mutate(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  let b = Buffer.from(bytes);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.kind === "replace") b[at] = e.byte;
    else if (e.kind === "delete") b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.length)]);
    else if (e.kind === "insert")
      b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
    else
      b = Buffer.concat([
        b.subarray(0, at + e.length),
        b.subarray(at, at + e.length),
        b.subarray(at + e.length),
      ]);
  }
  return b;
}

const CODE = /^(X12|EDIFACT|CSV|JSON|Format)\.[A-Za-z0-9.]+$/;

function checkEvent(e: ParseEvent): void {
  if (e.kind === "invoice") {
    expect(typeof e.invoice.invoiceNumber).toBe("string");
    expect(isDecimal(e.invoice.total)).toBe(true);
    for (const line of e.invoice.lines) {
      if (line.amount !== undefined) expect(isDecimal(line.amount)).toBe(true);
      if (line.quantity !== undefined) expect(isDecimal(line.quantity)).toBe(true);
    }
  } else {
    expect(e.diagnostic.code).toMatch(CODE);
    expect(["fatal", "error", "warning"]).toContain(e.diagnostic.severity);
    expect(typeof e.diagnostic.message).toBe("string");
  }
}

async function run(
  bytes: Uint8Array,
  chunk: number,
  format?: "x12" | "edifact" | "csv" | "json",
): Promise<number> {
  const started = Date.now();
  let events = 0;
  for await (const e of parseInvoices(chunked(bytes, chunk), format ? { format } : {})) {
    checkEvent(e);
    events++;
  }
  // A hang would show as a timeout; slowness that grows with garbage shows here.
  expect(Date.now() - started).toBeLessThan(2000);
  return events;
}

describe("mutated files never crash or hang a parser", () => {
  for (const [name, bytes] of SEEDS) {
    it(`mutations of ${name.split("/").pop()}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(edit, { minLength: 1, maxLength: 8 }),
          fc.integer({ min: 1, max: 600 }),
          fc.constantFrom(undefined, "x12", "edifact", "csv", "json"),
          async (edits, chunk, format) => {
            const mutated = mutate(bytes, edits);
            expect(await run(mutated, chunk, format as never)).toBeGreaterThanOrEqual(0);
          },
        ),
        { numRuns: 40, seed: 20260 },
      );
    });
  }

  it("acknowledgements of mutated X12 never throw", async () => {
    const x12 = SEEDS.filter(([n]) => n.includes("x12") || n.includes("810"));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...x12),
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        async ([, bytes], edits) => {
          for await (const e of writeAcknowledgements(mutate(bytes, edits))) {
            if (e.kind === "diagnostic") expect(e.diagnostic.code).toMatch(CODE);
            else expect(typeof e.text).toBe("string");
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it("arbitrary bytes give typed diagnostics in every format", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(undefined, "x12", "edifact", "csv", "json"),
        async (bytes, format) => {
          await run(bytes, 17, format as never);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("bounded memory on hostile input", () => {
  it("gives up on a segment without terminator instead of buffering the file", async () => {
    const huge = Buffer.alloc(3 << 20, "A");
    const head = Buffer.from(
      "ISA*00*          *00*          *ZZ*S              *ZZ*R              *240101*1200*U*00401*000000001*0*P*>~GS*IN*S*R*20240101*1200*1*X*004010~ST*810*0001~BIG*",
    );
    const codes: string[] = [];
    for await (const e of parseInvoices(chunked(Buffer.concat([head, huge]), 1 << 16))) {
      if (e.kind === "diagnostic") codes.push(e.diagnostic.code);
    }
    expect(codes).toContain("X12.SegmentTooLong");
  });
});

describe("generated files read the same in any chunking", () => {
  it("810, INVOIC, CSV, JSON", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 3 }),
        async (chunk, which) => {
          const bytes = SEEDS[SEEDS.length - 4 + which]![1];
          const collect = async (size: number) => {
            const out: ParseEvent[] = [];
            for await (const e of parseInvoices(chunked(bytes, size))) out.push(e);
            return out;
          };
          expect(await collect(chunk)).toEqual(await collect(1 << 20));
        },
      ),
      { numRuns: 60, seed: 3 },
    );
  });
});
