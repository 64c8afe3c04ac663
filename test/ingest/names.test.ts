import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkFileName, compileGlob } from "../../src/ingest/transport.js";

describe("file names a source lists", () => {
  it("accepts plain names and refuses anything that could name another place", () => {
    for (const name of ["a.json", "INV 2026-11.edi", "ümlaut.csv", "a..b.x12", "..hidden-but-plain"]) {
      expect(checkFileName(name)).toBe(name);
    }
    for (const name of [
      "",
      ".",
      "..",
      "../x.json",
      "a/b.json",
      "a\\b.json",
      "..\\..\\x.json",
      "/etc/passwd",
      "C:evil.json",
      "c:\\x",
      "nul\u0000byte",
      "line\nbreak",
      "bell\u0007",
      "x".repeat(256),
    ]) {
      expect(() => checkFileName(name), JSON.stringify(name)).toThrow(/could escape/);
    }
  });
});

describe("patterns", () => {
  const NAMES = [
    "a.json",
    "b.JSON",
    "inv-01.csv",
    "inv-1.csv",
    "inv-ab.edi",
    "x12.810",
    "report[1].txt",
    "a,b.csv",
    "noext",
    "in*.txt",
  ];
  const PATTERNS = [
    "*",
    "*.json",
    "*.{csv,json}",
    "inv-??.*",
    "inv-[0-9]*.csv",
    "inv-[!0-9]*",
    "*.8[0-9]0",
    "a,b.csv",
    "*ext",
  ];

  it("match file names as node:path's matchesGlob does", () => {
    // The reference, where this Node.js has it (experimental on Node 20).
    const reference = (path as { matchesGlob?: (p: string, g: string) => boolean }).matchesGlob;
    for (const pattern of PATTERNS) {
      const matches = compileGlob(pattern);
      for (const name of NAMES) {
        if (reference) expect(matches(name), `${pattern} on ${name}`).toBe(reference(name, pattern));
      }
    }
    expect(NAMES.filter(compileGlob("*.{csv,json}"))).toEqual([
      "a.json",
      "inv-01.csv",
      "inv-1.csv",
      "a,b.csv",
    ]);
    expect(NAMES.filter(compileGlob("inv-??.*"))).toEqual(["inv-01.csv", "inv-ab.edi"]);
  });

  it("escape a character with a backslash (matchesGlob does not)", () => {
    expect(NAMES.filter(compileGlob("report\\[1\\].txt"))).toEqual(["report[1].txt"]);
    expect(NAMES.filter(compileGlob("in\\*.txt"))).toEqual(["in*.txt"]);
    expect(NAMES.filter(compileGlob("*.txt"))).toEqual(["report[1].txt", "in*.txt"]);
  });

  it("refuses patterns that name paths or do not close", () => {
    for (const pattern of ["", "in/*.json", "*.{csv", "a{b{c}}", "x\\"]) {
      expect(() => compileGlob(pattern), pattern).toThrow(/Invalid pattern/);
    }
  });
});
