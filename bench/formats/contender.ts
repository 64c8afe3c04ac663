/**
 * One benchmark contender, run in a child process of its own so that its peak RSS is its own:
 *   node --import tsx bench/formats/contender.ts <name> <file>   (run.ts runs it bundled, without tsx)
 * Prints {ms, cpuMs, count, unit, maxRssMB}: wall and CPU time of the work only (not loading modules), and the
 * process's peak RSS.
 */

import { once } from "node:events";
import { createReadStream, readFileSync } from "node:fs";
import { parse } from "csv-parse";
import { parseCsv } from "../../src/formats/csv/reader.js";
import { parseX12, runX12 } from "../../src/formats/x12/parse.js";

type Run = (file: string) => Promise<{ count: number; unit: string }>;

export const CONTENDERS: Record<string, Run> = {
  /** Baseline: reading the bytes, nothing else. */
  async "read-bytes"(file) {
    let bytes = 0;
    for await (const chunk of createReadStream(file)) bytes += (chunk as Buffer).length;
    return { count: bytes, unit: "bytes" };
  },
  /** Inflow: tokenizer and envelope checks only (no 810 mapping). */
  async "inflow-x12-envelope"(file) {
    let sets = 0;
    const handler = { diagnostic: () => {}, setEnd: () => sets++ };
    for await (const _ of runX12(createReadStream(file), handler, () => [])) void _;
    return { count: sets, unit: "sets" };
  },
  /** Inflow: full 810 to invoice records, streaming. */
  async "inflow-x12-810"(file) {
    let invoices = 0;
    for await (const e of parseX12(createReadStream(file))) if (e.kind === "invoice") invoices++;
    return { count: invoices, unit: "invoices" };
  },
  /** node-x12: the documented whole-file parse into an X12Interchange. */
  async "node-x12"(file) {
    const { X12Parser } = await import("node-x12");
    const interchange = new X12Parser(true).parse(readFileSync(file, "utf8")) as {
      functionalGroups: { transactions: unknown[] }[];
    };
    const sets = interchange.functionalGroups.reduce((n, g) => n + g.transactions.length, 0);
    return { count: sets, unit: "sets" };
  },
  /** x12-parser: its stream of segment objects (it has no 810 mapping; grouping needs a schema). */
  async "x12-parser"(file) {
    const { X12parser } = await import("x12-parser");
    let sets = 0;
    const parser = createReadStream(file).pipe(new X12parser());
    parser.on("data", (segment: { name: string }) => {
      if (segment.name === "ST") sets++;
    });
    await once(parser, "end");
    return { count: sets, unit: "sets" };
  },
  /** Inflow: CSV rows to invoice records (built-in profile), streaming. */
  async "inflow-csv"(file) {
    let invoices = 0;
    for await (const e of parseCsv(createReadStream(file))) if (e.kind === "invoice") invoices++;
    return { count: invoices, unit: "invoices" };
  },
  /** csv-parse: its stream API, records counted and dropped. */
  async "csv-parse"(file) {
    let records = 0;
    const parser = createReadStream(file).pipe(parse({ columns: true }));
    for await (const _ of parser) records++;
    return { count: records, unit: "rows" };
  },
};

if (/contender\.(ts|mjs)$/.test(process.argv[1] ?? "")) {
  const [name, file] = process.argv.slice(2);
  const run = CONTENDERS[name ?? ""];
  if (!run || !file) {
    console.error(`usage: contender.ts <${Object.keys(CONTENDERS).join("|")}> <file>`);
    process.exit(2);
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await run(file);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, ...result, maxRssMB })}\n`);
}
