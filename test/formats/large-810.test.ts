import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("a generated 100,000-invoice 810", () => {
  it("parses as a stream under --max-old-space-size=128", () => {
    const child = spawnSync(
      process.execPath,
      ["--max-old-space-size=128", "--import", "tsx", "test/formats/large-810.child.ts", "100000"],
      { encoding: "utf8", timeout: 110_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const r = JSON.parse(child.stdout);
    expect(r.manifest.invoices).toBe(100_000);
    expect(r.manifest.bytes).toBeGreaterThan(50_000_000);
    expect(r.invoices).toBe(r.manifest.invoices);
    expect(r.lines).toBe(r.manifest.lines);
    expect(r.total).toBe(r.manifest.total);
    expect(r.diagnostics).toBe(0);
    expect(r.peakHeapMB).toBeLessThan(128);
  }, 120_000);
});
