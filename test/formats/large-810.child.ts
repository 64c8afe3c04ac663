/**
 * Child process of large-810.test.ts, run under --max-old-space-size=128: writes a generated 100,000-invoice
 * 810 to a temporary file, parses it as a stream and prints what it read next to the generator's manifest.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { add, format, parseDecimal, ZERO } from "../../src/formats/decimal.js";
import { asBytes, type Manifest, write810 } from "../../src/formats/samples.js";
import { parseX12 } from "../../src/formats/x12/parse.js";

const invoices = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "inflow-large-810-"));
const file = join(dir, "large.810");
try {
  let manifest: Manifest | undefined;
  const out = createWriteStream(file);
  for (const chunk of asBytes(
    write810({ seed: 42, invoices, minLines: 2, maxLines: 6 }, (m) => (manifest = m)),
  )) {
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");

  let read = 0;
  let lines = 0;
  let total = ZERO;
  let diagnostics = 0;
  let peakHeap = 0;
  for await (const e of parseX12(createReadStream(file))) {
    if (e.kind === "diagnostic") diagnostics++;
    else {
      read++;
      lines += e.invoice.lines.length;
      total = add(total, parseDecimal(e.invoice.total)!);
      if (read % 5000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
  }
  const result = {
    manifest,
    invoices: read,
    lines,
    total: format(total, 2),
    diagnostics,
    peakHeapMB: Math.round(peakHeap / 2 ** 20),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
