/** The shared sample corpus (read-only, outside the repository) and helpers to run parsers over it. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../../src/formats/diagnostics.js";
import type { Invoice, ParseEvent } from "../../src/formats/invoice.js";

const here = dirname(fileURLToPath(import.meta.url));
export const CORPUS = resolve(here, "../../../shared/corpus/edi");
export const corpusAvailable = existsSync(CORPUS);

export function corpusFiles(folder: string, ext = ".edi"): string[] {
  const dir = join(CORPUS, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(dir, f));
}

export const readCorpus = (path: string): Buffer => readFileSync(path);

/** The `expected` part of a file's `.expected.json` twin, if it has one. */
export function expectedFor(path: string): unknown {
  const twin = path.replace(/\.[^.]+$/, ".expected.json");
  if (!existsSync(twin)) return undefined;
  return (JSON.parse(readFileSync(twin, "utf8")) as { expected: unknown }).expected;
}

export interface Collected {
  invoices: Invoice[];
  diagnostics: Diagnostic[];
}

export async function collect(events: AsyncIterable<ParseEvent>): Promise<Collected> {
  const out: Collected = { invoices: [], diagnostics: [] };
  for await (const e of events) {
    if (e.kind === "invoice") out.invoices.push(e.invoice);
    else out.diagnostics.push(e.diagnostic);
  }
  return out;
}

/** The same bytes in chunks of `size`, to show a parser does not depend on where chunks end. */
export function* chunked(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export const codes = (c: Collected) => c.diagnostics.map((d) => d.code);
