/**
 * Format detection from the first bytes of a file: X12 starts with ISA (or a bare GS/ST), EDIFACT with
 * UNA/UNB/UNH, Inflow JSON with `{` or `[`; anything else that looks like delimited text is CSV.
 */
import { startsWithEbcdicIsa } from "./ebcdic.js";
import type { SourceFormat } from "./invoice.js";
import type { ByteSource } from "./text.js";

/** Enough bytes to see past a BOM, indentation and a first segment or header row. */
export const SNIFF_BYTES = 4096;

export function detectFormat(head: Uint8Array | string): SourceFormat | undefined {
  if (typeof head !== "string" && startsWithEbcdicIsa(head)) return "x12";
  let text =
    typeof head === "string" ? head : new TextDecoder("latin1").decode(head.subarray(0, SNIFF_BYTES));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.startsWith("\u00ef\u00bb\u00bf")) text = text.slice(3); // UTF-8 BOM seen through latin1
  text = text.replace(/^\s+/, "");
  if (/^ISA[^A-Za-z0-9\s]/.test(text) || /^(GS|ST)[^A-Za-z0-9\s]/.test(text)) return "x12";
  if (/^UN[ABH][^A-Za-z0-9\s]/.test(text)) return "edifact";
  if (text.startsWith("{") || text.startsWith("[")) return "json";
  const firstLine = text.split(/\r?\n|\r/, 1)[0] ?? "";
  if (/[,;\t|]/.test(firstLine)) return "csv";
  return undefined;
}

/**
 * Reads the first bytes of a source for detection and hands back a source that replays them, so a stream
 * is read once.
 */
export async function peek(
  source: ByteSource,
): Promise<{ head: Uint8Array; source: AsyncIterable<Uint8Array> }> {
  if (typeof source === "string") source = new TextEncoder().encode(source);
  if (source instanceof Uint8Array) {
    const whole = source;
    return {
      head: whole.subarray(0, SNIFF_BYTES),
      source: (async function* () {
        yield whole;
      })(),
    };
  }
  const iterator = (
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (source as Iterable<Uint8Array>)[Symbol.iterator]()
  ) as AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  const seen: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    seen.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(seen).subarray(0, SNIFF_BYTES);
  return {
    head,
    source: (async function* () {
      yield* seen;
      if (done) return;
      while (true) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })(),
  };
}
