/**
 * One entry point over all formats: picks the parser (given, or detected from the first bytes) and streams
 * invoices and diagnostics. `parseAll` is the convenience for a Buffer or small file.
 */

import type { CsvProfile } from "./csv/profiles.js";
import { parseCsv } from "./csv/reader.js";
import { detectFormat, peek } from "./detect.js";
import { type Diagnostic, diagnostic } from "./diagnostics.js";
import { parseEdifact } from "./edifact/parse.js";
import type { Invoice, ParseEvent, SourceFormat } from "./invoice.js";
import { parseJson } from "./json/reader.js";
import type { ByteSource, TextEncoding } from "./text.js";
import { parseX12 } from "./x12/parse.js";

export interface ParseOptions {
  format?: SourceFormat | "auto";
  /** Name of the file, for `source.file`. */
  file?: string;
  /** Text encoding; default: UTF-8, falling back to Windows-1252. A CSV profile may set its own. */
  encoding?: TextEncoding;
  /** CSV: the profile (default: the built-in one, recognised by header names) and a detail file. */
  profile?: CsvProfile;
  detail?: ByteSource;
}

export async function* parseInvoices(
  source: ByteSource,
  options: ParseOptions = {},
): AsyncGenerator<ParseEvent> {
  let format = options.format ?? "auto";
  let input: ByteSource = source;
  if (format === "auto") {
    const peeked = await peek(source);
    input = peeked.source;
    const detected = detectFormat(peeked.head);
    if (!detected) {
      yield {
        kind: "diagnostic",
        diagnostic: diagnostic(
          "Format.Unknown",
          "fatal",
          "the format could not be recognised (not X12, EDIFACT, JSON or delimited text); pass --format",
          { line: 1, column: 1 },
        ),
      };
      return;
    }
    format = detected;
  }
  const common = {
    ...(options.file ? { file: options.file } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
  };
  switch (format) {
    case "x12":
      yield* parseX12(input, common);
      return;
    case "edifact":
      yield* parseEdifact(input, common);
      return;
    case "json":
      yield* parseJson(input, common);
      return;
    case "csv":
      yield* parseCsv(input, {
        ...common,
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.detail ? { detail: options.detail } : {}),
      });
      return;
  }
}

export interface ParseResult {
  invoices: Invoice[];
  diagnostics: Diagnostic[];
}

export async function parseAll(source: ByteSource, options: ParseOptions = {}): Promise<ParseResult> {
  const out: ParseResult = { invoices: [], diagnostics: [] };
  for await (const e of parseInvoices(source, options)) {
    if (e.kind === "invoice") out.invoices.push(e.invoice);
    else out.diagnostics.push(e.diagnostic);
  }
  return out;
}

/** A file "could not be read" when reading stopped, or when it broke rules and yielded no invoice. */
export function unreadable(counts: { invoices: number; fatal: number; errors: number }): boolean {
  return counts.fatal > 0 || (counts.invoices === 0 && counts.errors > 0);
}
