import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
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

describe("inflow ack", () => {
  it("writes a 997 for a 4010 file to stdout, with located diagnostics on stderr", () => {
    const file = corpus("x12-810", "fromedi-vics");
    const r = inflow("ack", file, "--control-number", "42");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ISA\*.*\*000000042\*0\*P\*>~\nGS\*FA\*/);
    expect(r.stdout).toContain("AK2*810*1004~\nAK5*R*4~\n");
    expect(r.stdout).toContain("TA1*000003438*101127*1719*E*001~");
    expect(r.stderr).toContain(`${file}: segment 21 (SE)`);
  });

  it("writes a 999 for a 5010 file into --out, which inflow parse does not mistake for invoices", () => {
    const dir = mkdtempSync(join(tmpdir(), "inflow-ack-"));
    const out = join(dir, "ack.edi");
    expect(inflow("ack", corpus("x12-810", "x12types-edi2xml-5010"), "--out", out).code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain("ST*999*0001*005010X231A1~");
    expect(text).toContain("IK5*A~");
    const parsed = inflow("parse", out, "--summary");
    expect(JSON.parse(parsed.stdout)).toMatchObject({ invoices: 0 });
  });
});
