/**
 * CSV records from text pushed in chunks: RFC 4180 quoting ("" inside quotes, delimiters and line breaks in
 * quoted fields), LF or CRLF (or CR-only) line ends, blank lines skipped, quotes inside unquoted fields taken
 * literally. Written here rather than on csv-parse because csv-parse alone reads about 12 MB/s on the benchmark
 * machine (docs/benchmarks.md) and the target for the whole CSV path is 50 MB/s: lines without a quote are cut
 * with indexOf and split, which is where nearly all rows of a supplier export fall.
 */
export interface CsvRecord {
  fields: string[];
  /** 1-based lines where the record starts and ends (a quoted field may span lines). */
  line: number;
  endLine: number;
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
  onRecord: (r: CsvRecord) => void,
  onError: (message: string, line: number) => void,
): CsvTokenizer {
  const { delimiter, quote } = options;
  const q = quote.charCodeAt(0);
  const d = delimiter.charCodeAt(0);
  let buf = "";
  let line = 1;
  let newline: "\n" | "\r" | undefined;
  let failed = false;

  /** Parses one record with quotes from `start`; returns its end (after the line break) or -1 for "need more". */
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
        onRecord({ fields, line, endLine: line + lines });
        line += lines + 1;
        return end;
      } else {
        // Text outside quotes, including a stray quote (relaxed): up to the next delimiter or line break.
        value += buf[i];
        i++;
      }
    }
    if (!final) return -1;
    fields.push(value);
    onRecord({ fields, line, endLine: line + lines });
    line += lines;
    return n;
  };

  const run = (final: boolean): number => {
    let pos = 0;
    const n = buf.length;
    if (newline === undefined) {
      const lf = buf.indexOf("\n");
      const cr = buf.indexOf("\r");
      if (lf >= 0) newline = "\n";
      else if (cr >= 0 && cr + 1 < n) newline = "\r";
      else if (!final) return 0;
      else newline = "\n";
    }
    let nextQuote = buf.indexOf(quote);
    while (pos < n) {
      const c = buf.charCodeAt(pos);
      if (c === 10 || c === 13) {
        // A blank line (or the LF of a CRLF).
        if (c === 10 || newline === "\r") line++;
        pos++;
        continue;
      }
      let end = buf.indexOf(newline, pos);
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
      const text =
        newline === "\n" && end > pos && buf.charCodeAt(end - 1) === 13
          ? buf.slice(pos, end - 1)
          : buf.slice(pos, end);
      onRecord({ fields: text.split(delimiter), line, endLine: line });
      line++;
      pos = end + 1;
    }
    return pos;
  };

  return {
    push(text: string) {
      if (failed) return;
      buf = buf.length === 0 ? text : buf + text;
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
