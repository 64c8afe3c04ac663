import { once } from "node:events";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { type Command, Option } from "commander";
import { BUILTIN_PROFILES, type CsvProfile, checkProfile } from "../../formats/csv/profiles.js";
import { add, format, parseDecimal, ZERO } from "../../formats/decimal.js";
import { formatDiagnostic } from "../../formats/diagnostics.js";
import { parseInvoices, unreadable } from "../../formats/parse.js";
import { TEXT_ENCODINGS, type TextEncoding } from "../../formats/text.js";
import { CliError } from "../errors.js";

interface ParseCommandOptions {
  format: "auto" | "x12" | "edifact" | "csv" | "json";
  summary?: boolean;
  encoding?: TextEncoding;
  profile?: string;
  detail?: string;
}

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description(
      "Read invoices from an X12 810, EDIFACT INVOIC, CSV or JSON file and print them as JSON lines (NDJSON); diagnostics go to stderr.",
    )
    .argument("<file>", "the file to read")
    .addOption(
      new Option("--format <format>", "input format")
        .choices(["auto", "x12", "edifact", "csv", "json"])
        .default("auto"),
    )
    .addOption(
      new Option("--encoding <encoding>", "text encoding (default: UTF-8, else Windows-1252)").choices([
        ...TEXT_ENCODINGS,
      ]),
    )
    .option(
      "--profile <name|file>",
      `CSV profile: a built-in name (${Object.keys(BUILTIN_PROFILES).join(", ")}) or a JSON profile file (see docs/formats.md)`,
    )
    .option(
      "--detail <file>",
      "CSV: the detail (lines) file of a header/detail pair; FILE is then the header file",
    )
    .option(
      "--summary",
      'print one JSON object {"invoices", "lines", "total", "warnings"} instead of the invoices',
    )
    .action(async (file: string, options: ParseCommandOptions) => {
      process.exitCode = await parseCommand(file, options);
    });
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

function loadProfile(ref: string): CsvProfile {
  const builtin = BUILTIN_PROFILES[ref];
  if (builtin) return builtin;
  if (!existsSync(ref)) {
    throw new CliError(
      `--profile ${ref}: neither a built-in profile (${Object.keys(BUILTIN_PROFILES).join(", ")}) nor a file`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(ref, "utf8"));
  } catch (e) {
    throw new CliError(`--profile ${ref}: not JSON (${(e as Error).message})`);
  }
  const problems = checkProfile(value);
  if (problems.length > 0) throw new CliError(`--profile ${ref}: ${problems.join("; ")}`);
  return value as CsvProfile;
}

const checkFile = (file: string) => {
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: no such file`);
};

async function parseCommand(file: string, options: ParseCommandOptions): Promise<number> {
  checkFile(file);
  if (options.detail) checkFile(options.detail);
  const profile = options.profile ? loadProfile(options.profile) : undefined;
  // A profile or a detail file only makes sense for CSV.
  const formatName = options.format === "auto" && (profile || options.detail) ? "csv" : options.format;
  let lines = 0;
  let total = ZERO;
  const counts = { invoices: 0, fatal: 0, errors: 0, warnings: 0 };
  const events = parseInvoices(createReadStream(file), {
    format: formatName,
    file,
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(profile ? { profile } : {}),
    ...(options.detail ? { detail: createReadStream(options.detail) } : {}),
  });
  for await (const event of events) {
    if (event.kind === "diagnostic") {
      const d = event.diagnostic;
      if (d.severity === "fatal") counts.fatal++;
      else if (d.severity === "error") counts.errors++;
      else counts.warnings++;
      process.stderr.write(`${formatDiagnostic(d, file)}\n`);
      continue;
    }
    const invoice = event.invoice;
    counts.invoices++;
    lines += invoice.lines.length;
    total = add(total, parseDecimal(invoice.total) ?? ZERO);
    if (!options.summary) await write(`${JSON.stringify(invoice)}\n`);
  }
  if (options.summary) {
    // "warnings" counts every diagnostic that did not stop reading, so 0 means stderr stayed clean.
    const summary = {
      invoices: counts.invoices,
      lines,
      total: format(total),
      warnings: counts.warnings + counts.errors,
    };
    await write(`${JSON.stringify(summary)}\n`);
  }
  return unreadable(counts) ? 1 : 0;
}
