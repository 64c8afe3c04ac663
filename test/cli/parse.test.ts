import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { corpusFiles } from "../formats/corpus.js";

const inflow = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const corpus = (folder: string, name: string) => corpusFiles(folder).find((f) => f.includes(name))!;

describe("inflow parse", () => {
  it("prints one JSON invoice per line with invoiceNumber and total", () => {
    const r = inflow("parse", corpus("x12-810", "staedi-simple810"));
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const inv of lines) {
      expect(typeof inv.invoiceNumber).toBe("string");
      expect(inv.total).toMatch(/^-?\d+(\.\d+)?$/);
    }
  });

  it("prints a summary whose total is the decimal sum of the invoice totals", () => {
    const file = corpus("x12-810", "bots-supplier-810-9");
    const all = inflow("parse", file)
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const r = inflow("parse", file, "--summary", "--format", "x12");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      invoices: all.length,
      lines: all.reduce((n, i) => n + i.lines.length, 0),
    });
    expect(summary.total).toBe("24691.58");
    // Both invoices' TDS disagree with their lines: two warnings, each naming file, segment and rule.
    expect(summary.warnings).toBe(2);
    expect(r.stderr).toContain(
      `${file}: segment 11 (TDS), position 9 in set, element 1: warning X12.810.TotalMismatch`,
    );
  });

  it("exits 1 with located diagnostics when a file cannot be read into invoices", () => {
    const file = corpus("x12-invalid", "gtl-se-count");
    const r = inflow("parse", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `${file}: segment 4 (SE), position 2 in set, element 1: error X12.SegmentCountMismatch`,
    );
  });

  it("reads a CSV header/detail pair with a profile file, and detects EDIFACT by content", () => {
    const dir = mkdtempSync(join(tmpdir(), "inflow-parse-"));
    const profile = join(dir, "alto.json");
    writeFileSync(
      profile,
      JSON.stringify({
        name: "alto",
        headerRow: false,
        columns: { invoiceNumber: 0, invoiceDate: 4, purchaseOrder: 5, taxTotal: 7, total: 8 },
        detail: { headerRow: false, columns: { invoiceNumber: 0, quantity: 2, unitPrice: 3, lineAmount: 4 } },
      }),
    );
    const header = corpusFiles("csv", ".csv").find((f) => f.includes("header"))!;
    const detail = corpusFiles("csv", ".csv").find((f) => f.includes("detail"))!;
    const csv = inflow("parse", header, "--detail", detail, "--profile", profile, "--summary");
    expect(csv.stderr).toBe("");
    expect(JSON.parse(csv.stdout)).toMatchObject({ invoices: 4, lines: 5, warnings: 0 });
    const edifact = inflow("parse", corpus("edifact-invoic", "staedi-invoic-d97b.edi"), "--summary");
    expect(JSON.parse(edifact.stdout)).toEqual({ invoices: 1, lines: 2, total: "2137.58", warnings: 0 });
    const badProfile = join(dir, "bad.json");
    writeFileSync(badProfile, JSON.stringify({ name: "x", columns: { colour: 1 } }));
    const bad = inflow("parse", header, "--profile", badProfile);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"columns.colour" is not a field');
  });

  it("exits 1 for a missing file and for content in no known format", () => {
    expect(inflow("parse", "no/such/file.edi").code).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), "inflow-parse-"));
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, "just some words\n");
    const r = inflow("parse", junk);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Format.Unknown");
  });
});
