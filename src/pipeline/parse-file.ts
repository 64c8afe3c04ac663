import { type Diagnostic, diagnostic, formatDiagnostic } from "../formats/diagnostics.js";
import type { Invoice } from "../formats/invoice.js";
import { parseInvoices, unreadable } from "../formats/parse.js";
import type { FunctionContext, Handler } from "../functions/types.js";
import { MAX_WARNINGS } from "../invoices/types.js";
import type { PipelineApi } from "./api-client.js";
import { invalidMessage, noInvoices, PipelineError } from "./errors.js";

/** What ParseFile hands the Map: how many invoices, and their keys in ranges, never the invoices. */
export interface ParseFileResult {
  parsed: number;
  /** Inclusive key ranges `first..last` of at most `chunkSize` keys, covering 1..parsed in order. */
  chunks: { first: number; last: number }[];
}

/** Key ranges of at most `size` keys over 1..count. */
export function chunksOf(count: number, size: number): ParseFileResult["chunks"] {
  const chunks: ParseFileResult["chunks"] = [];
  for (let first = 1; first <= count; first += size) {
    chunks.push({ first, last: Math.min(count, first + size - 1) });
  }
  return chunks;
}

/**
 * The function `parse-file` (called by the ParseFile Task): reads the container's file from the
 * service, parses it (format detected), stages the invoices and the parser's warnings, and returns
 * their count and key ranges. A file that cannot be read fails with the first fatal or error
 * diagnostic: its code is the error, and the message is the line `inflow parse` prints for it.
 * The service unavailable fails with `Pipeline.ServiceUnavailable`, which the definition retries.
 */
export const parseFile =
  (deps: { api: PipelineApi; chunkSize: number }): Handler<{ containerId?: unknown }, ParseFileResult> =>
  async (event, context: FunctionContext) => {
    const { containerId } = event ?? {};
    if (typeof containerId !== "string" || containerId === "") {
      throw invalidMessage(`parse-file needs a containerId, got ${JSON.stringify(event)}`);
    }
    const { name, bytes } = await deps.api.file(containerId, context.signal);
    const invoices: Invoice[] = [];
    const diagnostics: Diagnostic[] = [];
    const counts = { fatal: 0, errors: 0 };
    for await (const parsed of parseInvoices(bytes, { file: name })) {
      if (parsed.kind === "invoice") {
        invoices.push(parsed.invoice);
        continue;
      }
      diagnostics.push(parsed.diagnostic);
      if (parsed.diagnostic.severity === "fatal") counts.fatal++;
      else if (parsed.diagnostic.severity === "error") counts.errors++;
    }
    if (unreadable({ ...counts, invoices: invoices.length })) {
      const first =
        diagnostics.find((d) => d.severity === "fatal") ?? diagnostics.find((d) => d.severity === "error")!;
      throw new PipelineError(first.code, formatDiagnostic(first, name));
    }
    if (invoices.length === 0) {
      throw noInvoices(
        formatDiagnostic(diagnostic("Pipeline.NoInvoices", "fatal", "the file holds no invoice"), name),
      );
    }
    const warnings = diagnostics.slice(0, MAX_WARNINGS);
    const { parsed } = await deps.api.putParsed(containerId, { invoices, warnings }, context.signal);
    return { parsed, chunks: chunksOf(parsed, deps.chunkSize) };
  };
