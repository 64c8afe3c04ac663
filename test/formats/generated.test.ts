import { describe, expect, it } from "vitest";
import { add, format, parseDecimal, ZERO } from "../../src/formats/decimal.js";
import { parseAll } from "../../src/formats/parse.js";
import {
  asBytes,
  type Manifest,
  write810,
  writeCsv,
  writeInvoic,
  writeJson,
} from "../../src/formats/samples.js";

type Writer = (options: { seed: number; invoices: number }, out: (m: Manifest) => void) => Iterable<string>;

const writers: [string, Writer][] = [
  ["X12 810, one segment per line", (o, m) => write810(o, m)],
  [
    "X12 810, one long line with | elements and 7 sets per group",
    (o, m) => write810({ ...o, terminator: "~", element: "|", setsPerGroup: 7 }, m),
  ],
  ["EDIFACT INVOIC", (o, m) => writeInvoic(o, m)],
  ["CSV export", (o, m) => writeCsv(o, m)],
  ["JSON array", (o, m) => writeJson({ ...o, array: true }, m)],
  ["NDJSON", (o, m) => writeJson(o, m)],
];

describe("generated files parse to their manifest", () => {
  for (const [name, write] of writers) {
    it(name, async () => {
      for (const seed of [1, 2, 3]) {
        let manifest: Manifest | undefined;
        const chunks = [
          ...asBytes(
            write({ seed, invoices: 40 }, (m) => (manifest = m)),
            3000,
          ),
        ];
        const r = await parseAll(chunks);
        expect(r.diagnostics).toEqual([]);
        expect(r.invoices).toHaveLength(manifest!.invoices);
        expect(r.invoices.reduce((n, i) => n + i.lines.length, 0)).toBe(manifest!.lines);
        const total = r.invoices.reduce((s, i) => add(s, parseDecimal(i.total)!), ZERO);
        expect(format(total, 2)).toBe(manifest!.total);
        expect(r.invoices.filter((i) => i.type === "creditMemo")).toHaveLength(manifest!.creditMemos);
      }
    });
  }
});
