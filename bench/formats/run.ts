/**
 * The formats benchmark: MB/s, invoices/s and peak RSS of Inflow's X12 810 parser on a generated ~35 MB 810
 * (about 10,000 invoices) against node-x12 and x12-parser, and of its CSV reader on a ~35 MB export against
 * csv-parse (streaming) and Python's csv.DictReader into a list. Every contender runs in a child process of
 * its own (`contender.ts`), so each peak RSS is its own. Prints a report and writes the `## Formats` section of
 * docs/benchmarks.md.
 *
 *   npm run bench -- formats [--runs 3] [--invoices 11000] [--csv-invoices 8000] [--no-write]
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { asBytes, type Manifest, write810, writeCsv } from "../../src/formats/samples.js";
import { writeSection } from "./report.js";

interface Measured {
  ms: number;
  cpuMs: number;
  count: number;
  unit: string;
  maxRssMB: number;
}

interface Row {
  name: string;
  what: string;
  file: "x12" | "csv";
  runs: Measured[];
}

const RESULTS = "bench/results/formats";

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
}

async function generate(
  path: string,
  chunks: Iterable<string>,
  manifest: () => Manifest | undefined,
): Promise<Manifest> {
  const out = createWriteStream(path);
  for (const chunk of asBytes(chunks)) if (!out.write(chunk)) await once(out, "drain");
  out.end();
  await once(out, "finish");
  const m = manifest()!;
  writeFileSync(`${path}.manifest.json`, JSON.stringify(m, null, 2));
  return m;
}

/** A generated file is reused when its manifest says it was made with the same seed and size. */
async function file(kind: "x12" | "csv", invoices: number): Promise<{ path: string; manifest: Manifest }> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, kind === "x12" ? `invoices-${invoices}.810` : `invoices-${invoices}.csv`);
  if (existsSync(`${path}.manifest.json`) && existsSync(path)) {
    const m = JSON.parse(readFileSync(`${path}.manifest.json`, "utf8")) as Manifest;
    if (m.bytes === statSync(path).size) return { path, manifest: m };
  }
  let manifest: Manifest | undefined;
  const options = { seed: 2026, invoices };
  const chunks =
    kind === "x12" ? write810(options, (m) => (manifest = m)) : writeCsv(options, (m) => (manifest = m));
  return { path, manifest: await generate(path, chunks, () => manifest) };
}

/**
 * The contenders, bundled to plain JavaScript once (esbuild, which tsx brings along): run under tsx, every
 * process would carry tsx's loader and its esbuild service, about 50 MB of RSS that is nobody's parser.
 */
async function bundleContenders(): Promise<string> {
  const { build } = await import("esbuild");
  const outfile = join(RESULTS, "contender.mjs");
  await build({
    entryPoints: ["bench/formats/contender.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile,
    logLevel: "error",
  });
  return outfile;
}

function runChild(contender: string, path: string, bundle: string): Measured {
  const out =
    contender === "python-dictreader"
      ? execFileSync("python3", ["bench/formats/dictreader.py", path], { encoding: "utf8" })
      : execFileSync(process.execPath, [bundle, contender, path], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Measured;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fixed = (n: number, digits = 1) => n.toFixed(digits);

export async function main(args: string[], command: string): Promise<void> {
  const runs = flag(args, "runs", 3);
  const x12 = await file("x12", flag(args, "invoices", 11_000));
  const csv = await file("csv", flag(args, "csv-invoices", 8_000));
  const python = (() => {
    try {
      execFileSync("python3", ["--version"]);
      return true;
    } catch {
      return false;
    }
  })();
  const rows: Row[] = [
    { name: "read-bytes", what: "baseline: read the 810's bytes", file: "x12", runs: [] },
    { name: "inflow-x12-envelope", what: "Inflow: tokenizer + envelope checks", file: "x12", runs: [] },
    { name: "inflow-x12-810", what: "Inflow: 810 to invoice records, streaming", file: "x12", runs: [] },
    { name: "node-x12", what: "node-x12 1.7: `X12Parser(true).parse(string)`", file: "x12", runs: [] },
    { name: "x12-parser", what: "x12-parser 1.3: segment stream (no 810 mapping)", file: "x12", runs: [] },
    { name: "read-bytes", what: "baseline: read the CSV's bytes", file: "csv", runs: [] },
    {
      name: "inflow-csv",
      what: "Inflow: CSV to invoice records (built-in profile), streaming",
      file: "csv",
      runs: [],
    },
    {
      name: "csv-parse",
      what: "csv-parse 7: stream API, `columns: true`, rows dropped",
      file: "csv",
      runs: [],
    },
    ...(python
      ? [
          {
            name: "python-dictreader",
            what: "Python `list(csv.DictReader(f))`",
            file: "csv" as const,
            runs: [],
          },
        ]
      : []),
  ];
  const bundle = await bundleContenders();
  const load = [loadavg()[0]!];
  for (let r = 0; r < runs; r++) {
    for (const row of rows) {
      const target = row.file === "x12" ? x12 : csv;
      const m = runChild(row.name, target.path, bundle);
      row.runs.push(m);
      process.stderr.write(
        `run ${r + 1}/${runs} ${row.name} (${row.file}): ${fixed(m.ms, 0)} ms, ${fixed(m.maxRssMB, 0)} MB\n`,
      );
    }
    load.push(loadavg()[0]!);
  }
  for (const row of rows.filter((x) => x.name.startsWith("inflow") && x.name !== "inflow-x12-envelope")) {
    const expected = (row.file === "x12" ? x12 : csv).manifest.invoices;
    if (row.runs.some((m) => m.count !== expected))
      throw new Error(`${row.name} read ${row.runs[0]!.count} invoices, expected ${expected}`);
  }
  const section = report(rows, { x12, csv, runs, load, command });
  process.stdout.write(`${section}\n`);
  if (!args.includes("--no-write")) writeSection("docs/benchmarks.md", section);
}

/** The command that runs this suite alone, from the one that ran it. */
function reproduce(command: string): string {
  if (command.includes("formats")) return command;
  return command.startsWith("npm run bench") ? "npm run bench -- formats" : `${command} formats`;
}

function report(
  rows: Row[],
  ctx: {
    x12: { manifest: Manifest };
    csv: { manifest: Manifest };
    runs: number;
    load: number[];
    command: string;
  },
): string {
  const stat = (row: Row) => {
    const ms = median(row.runs.map((m) => m.ms));
    const bytes = (row.file === "x12" ? ctx.x12 : ctx.csv).manifest.bytes;
    const invoices = (row.file === "x12" ? ctx.x12 : ctx.csv).manifest.invoices;
    const cpuMs = median(row.runs.map((m) => m.cpuMs));
    return {
      ms,
      cpuMs,
      cpuMbs: bytes / 1e6 / (cpuMs / 1000),
      spread: `${fixed(Math.min(...row.runs.map((m) => m.ms)) / 1000, 2)}-${fixed(Math.max(...row.runs.map((m) => m.ms)) / 1000, 2)}`,
      mbs: bytes / 1e6 / (ms / 1000),
      invoicesPerSecond: invoices / (ms / 1000),
      rss: median(row.runs.map((m) => m.maxRssMB)),
    };
  };
  const table = (file: "x12" | "csv") => [
    "| contender | wall s, median (min-max) | MB/s | invoices/s | CPU s | MB per CPU s | peak RSS MB |",
    "|---|---|---|---|---|---|---|",
    ...rows
      .filter((r) => r.file === file)
      .map((r) => {
        const s = stat(r);
        const perSecond = r.name === "read-bytes" ? "-" : fixed(s.invoicesPerSecond, 0);
        return `| ${r.what} | ${fixed(s.ms / 1000, 2)} (${s.spread}) | ${fixed(s.mbs)} | ${perSecond} | ${fixed(s.cpuMs / 1000, 2)} | ${fixed(s.cpuMbs)} | ${fixed(s.rss, 0)} |`;
      }),
  ];
  const get = (name: string, file: "x12" | "csv") =>
    stat(rows.find((r) => r.name === name && r.file === file)!);
  const inflow = get("inflow-x12-810", "x12");
  const nodeX12 = get("node-x12", "x12");
  const csvRow = get("inflow-csv", "csv");
  const speedup = nodeX12.ms / inflow.ms;
  const cpuSpeedup = nodeX12.cpuMs / inflow.cpuMs;
  const rssShare = inflow.rss / nodeX12.rss;
  const mb = (m: Manifest) => fixed(m.bytes / 1e6);
  return [
    "## Formats",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${fixed(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}; ${ctx.runs} runs per contender, median. Load average during the runs: ${ctx.load.map((l) => fixed(l)).join(" → ")} (the machine is shared, so absolute times carry noise; contenders alternate within each run, so ratios are fairer than absolutes). Each contender runs in its own process; peak RSS is that process's \`maxRSS\` (Node itself included: reading the bytes costs the baseline row). Contenders run as one esbuild bundle under plain \`node\`, not under tsx.`,
    "",
    `### X12 810: ${mb(ctx.x12.manifest)} MB, ${ctx.x12.manifest.invoices} invoices, ${ctx.x12.manifest.lines} lines (seed ${ctx.x12.manifest.seed})`,
    "",
    ...table("x12"),
    "",
    `Inflow's full 810 parse is **${fixed(speedup)}×** node-x12's throughput by wall time (**${fixed(cpuSpeedup)}×** by CPU time, which other load on the machine disturbs less) at **${fixed(rssShare * 100)}%** of its peak RSS (targets: ≥ 10× at ≤ 10%). Inflow's count is checked against the generator's manifest (the tests also check Σ TDS); node-x12 and x12-parser only count transaction sets. CPU time includes V8's parallel GC threads.`,
    "",
    `### CSV: ${mb(ctx.csv.manifest)} MB, ${ctx.csv.manifest.invoices} invoices, ${ctx.csv.manifest.lines} rows`,
    "",
    ...table("csv"),
    "",
    `Inflow's CSV reader: **${fixed(csvRow.mbs)} MB/s** (${fixed(csvRow.cpuMbs)} MB per CPU second) at **${fixed(csvRow.rss, 0)} MB** peak RSS (targets: ≥ 50 MB/s under 100 MB).`,
    "",
    "### Notes",
    "",
    "- node-x12 reads the whole file into one string and builds the whole interchange as objects: its peak RSS grows with the file (about 57 bytes of RSS per byte of X12 here). Inflow keeps one transaction set's state and hands each invoice out as its SE arrives.",
    "- csv-parse alone (records only, nothing mapped) reads slower than Inflow's whole CSV path: that is why Inflow tokenizes CSV itself (`src/formats/csv/tokenizer.ts`) instead of building on csv-parse.",
    "- What made the difference for Inflow's speed and memory: no per-set state in WeakMaps (V8 clears their entries only in full collections, so every invoice outlived the young generation), keys kept for duplicate checks detached from the 8 KB text slices they were cut from, and elements split straight out of the tokenizer's buffer.",
    "- CSV (profiled with `node --cpu-prof`): a row is the text it was read from plus field offsets, so only mapped fields are cut out; rows are mapped as the tokenizer finds them; lines are cut with `indexOf` in the text piece itself (appending a piece to the previous remainder copied every piece once more); plain numbers and pack sizes are read without regular expressions; totals are summed without per-line arrays. Same output as before, 1.6x less CPU warm and 44% fewer bytes allocated.",
    "- X12 810 (profiled the same way): element arrays made at their size (a pushed array reserves 17 slots for about 5 elements), no search for CR across every text piece, segments dispatched by `switch` rather than by a keyed lookup (a lookup by a string cut from the text hashes it in V8's string table each time), item-id kinds and dates read by character codes.",
    "",
    "### Reproduce",
    "",
    "```sh",
    reproduce(ctx.command),
    "```",
    "",
    "Files are generated (seeded) into `bench/results/formats/` with a manifest of their contents; the 100,000-invoice",
    "810 under `--max-old-space-size=128` is a test (`test/formats/large-810.test.ts`), not a benchmark.",
  ].join("\n");
}

if (process.argv[1]?.endsWith("formats/run.ts")) {
  await main(
    process.argv.slice(2),
    `node --import tsx bench/formats/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
  );
}
