/**
 * CSV records from text pushed in chunks: RFC 4180 quoting ("" inside quotes, delimiters and line breaks in
 * quoted fields), LF or CRLF (or CR-only) line ends, blank lines skipped, quotes inside unquoted fields taken
 * literally. Written here rather than on csv-parse because csv-parse alone reads about 12 MB/s on the benchmark
 * machine (docs/benchmarks.md) and the target for the whole CSV path is 50 MB/s.
 *
 * A record is not an array of strings: it is the text it was read from and the start and end of each field
 * in it (`CsvRow`), so a reader slices only the fields it uses, only when it uses them. Records without a
 * quote (nearly all rows of a supplier export) point into the tokenizer's own buffer; a record with quotes is
 * unquoted into a text of its own. The tokenizer reuses one `CsvRow` for every record: a consumer that keeps
 * a record keeps `row.copy()`.
 */

import { detach } from "../text.js";

/** One record: field `i` is `text.slice(starts[i], ends[i])` for `i < count`. */
export class CsvRow {
  text = "";
  starts = new Int32Array(32);
  ends = new Int32Array(32);
  count = 0;
  /** 1-based lines where the record starts and ends (a quoted field may span lines). */
  line = 0;
  endLine = 0;

  /** The raw text of field `i`, or undefined past the last field (ragged rows). */
  field(i: number): string | undefined {
    return i < this.count ? this.text.slice(this.starts[i]!, this.ends[i]!) : undefined;
  }

  fields(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.text.slice(this.starts[i]!, this.ends[i]!));
    return out;
  }

  /**
   * A copy that owns its text: V8 keeps substrings as views of their parent, so a record kept for a whole
   * file (a header row indexed by key) would otherwise keep the whole buffer it was cut from.
   */
  copy(): CsvRow {
    const c = new CsvRow();
    c.setFields(this.fields(), this.line, this.endLine);
    c.text = detach(c.text);
    return c;
  }

  /** Sets the record from unquoted values: its text is their concatenation. */
  setFields(values: string[], line: number, endLine: number): void {
    this.reserve(values.length);
    let at = 0;
    for (let i = 0; i < values.length; i++) {
      this.starts[i] = at;
      at += values[i]!.length;
      this.ends[i] = at;
    }
    this.text = values.join("");
    this.count = values.length;
    this.line = line;
    this.endLine = endLine;
  }

  /** Room for `n` fields. */
  reserve(n: number): void {
    if (n <= this.starts.length) return;
    let size = this.starts.length * 2;
    while (size < n) size *= 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }
}

export interface CsvTokenizer {
  push(text: string): void;
  end(): void;
}

/** A record longer than this (an unclosed quote, most likely) stops the reading instead of filling memory. */
export const MAX_RECORD_LENGTH = 16 << 20;
const TOO_LONG = `a record longer than ${MAX_RECORD_LENGTH} characters (an unclosed quote, or no line breaks)`;

export function createCsvTokenizer(
  options: { delimiter: string; quote: string },
  onRecord: (r: CsvRow) => void,
  onError: (message: string, line: number) => void,
): CsvTokenizer {
  const { delimiter, quote } = options;
  const q = quote.charCodeAt(0);
  const d = delimiter.charCodeAt(0);
  const row = new CsvRow();
  let buf = "";
  let line = 1;
  /** The line break that ends an unquoted record: LF (a CR before it is dropped) or CR. */
  let nl: "\n" | "\r" | undefined;
  let failed = false;

  /**
   * Parses one record with quotes from `start`; returns its end (after the line break) or -1 for "need more".
   * Inside a record with quotes both CR and LF end it, outside quotes.
   */
  const quoted = (start: number, final: boolean): number => {
    const fields: string[] = [];
    let value = "";
    let i = start;
    let lines = 0;
    const n = buf.length;
    let fieldStart = true;
    while (i < n) {
      const c = buf.charCodeAt(i);
      if (fieldStart && c === q) {
        // Quoted field: up to the closing quote; "" is a quote.
        let j = i + 1;
        for (;;) {
          const k = buf.indexOf(quote, j);
          if (k < 0) {
            if (!final) return -1;
            value += buf.slice(j);
            i = n;
            break;
          }
          value += buf.slice(j, k);
          for (let p = j; p < k; p++) if (buf.charCodeAt(p) === 10) lines++;
          if (buf.charCodeAt(k + 1) === q) {
            value += quote;
            j = k + 2;
            continue;
          }
          if (k + 1 >= n && !final) return -1;
          i = k + 1;
          break;
        }
        fieldStart = false;
        continue;
      }
      fieldStart = false;
      if (c === d) {
        fields.push(value);
        value = "";
        fieldStart = true;
        i++;
      } else if (c === 10 || c === 13) {
        if (c === 13 && i + 1 >= n && !final) return -1;
        fields.push(value);
        const end = c === 13 && buf.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
        row.setFields(fields, line, line + lines);
        onRecord(row);
        line += lines + 1;
        return end;
      } else {
        // Text outside quotes, including a stray quote (relaxed): up to the next delimiter or line break.
        let j = i + 1;
        for (; j < n; j++) {
          const e = buf.charCodeAt(j);
          if (e === d || e === 10 || e === 13) break;
        }
        value += buf.slice(i, j);
        i = j;
      }
    }
    if (!final) return -1;
    fields.push(value);
    row.setFields(fields, line, line + lines);
    onRecord(row);
    line += lines;
    return n;
  };

  const run = (final: boolean): number => {
    let pos = 0;
    const n = buf.length;
    if (nl === undefined) {
      const lf = buf.indexOf("\n");
      const cr = buf.indexOf("\r");
      if (lf >= 0) nl = "\n";
      else if (cr >= 0 && cr + 1 < n) nl = "\r";
      else if (!final) return 0;
      else nl = "\n";
    }
    // Line ends, quotes and delimiters are found with indexOf (native, and measured 2.4x faster than a loop
    // over the characters); the next quote and delimiter are remembered, so text without them is searched once.
    let nextQuote = buf.indexOf(quote);
    let nextDelimiter = buf.indexOf(delimiter);
    while (pos < n) {
      const c = buf.charCodeAt(pos);
      if (c === 10 || c === 13) {
        // A blank line (or the LF of a CRLF).
        if (c === 10 || nl === "\r") line++;
        pos++;
        continue;
      }
      let end = buf.indexOf(nl, pos);
      if (end < 0) {
        if (!final) return pos;
        end = n;
      }
      if (nextQuote >= 0 && nextQuote < pos) nextQuote = buf.indexOf(quote, pos);
      if (nextQuote >= 0 && nextQuote < end) {
        const next = quoted(pos, final);
        if (next < 0) {
          if (n - pos > MAX_RECORD_LENGTH) {
            failed = true;
            onError(TOO_LONG, line);
            return n;
          }
          return pos;
        }
        pos = next;
        continue;
      }
      let k = 0;
      let at = pos;
      row.starts[0] = pos;
      for (;;) {
        if (nextDelimiter >= 0 && nextDelimiter < at) nextDelimiter = buf.indexOf(delimiter, at);
        if (nextDelimiter < 0 || nextDelimiter >= end) break;
        row.ends[k] = nextDelimiter;
        k++;
        if (k === row.starts.length) row.reserve(k + 1);
        at = nextDelimiter + 1;
        row.starts[k] = at;
      }
      // LF line ends drop the CR of a CRLF.
      row.ends[k] = nl === "\n" && end > at && buf.charCodeAt(end - 1) === 13 ? end - 1 : end;
      row.text = buf;
      row.count = k + 1;
      row.line = line;
      row.endLine = line;
      onRecord(row);
      line++;
      pos = end + 1;
    }
    return pos;
  };

  return {
    push(text: string) {
      if (failed) return;
      let rest = text;
      if (buf.length > 0 && nl !== undefined) {
        // The record cut by the previous piece is finished with this piece's first line, so the piece itself
        // is read in place: `buf + text` would copy the whole piece into a new string when first searched.
        const k = text.indexOf(nl);
        if (k >= 0) {
          buf += text.slice(0, k + 1);
          // Left over when still not complete (a quoted field with line breaks): then read on from it.
          buf = buf.slice(run(false));
          if (failed) return;
          rest = text.slice(k + 1);
        }
      }
      buf = buf.length === 0 ? rest : buf + rest;
      buf = buf.slice(run(false));
      if (buf.length > MAX_RECORD_LENGTH && !failed) {
        failed = true;
        onError(TOO_LONG, line);
      }
    },
    end() {
      if (!failed) run(true);
      buf = "";
    },
  };
}
