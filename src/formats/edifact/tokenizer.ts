/**
 * EDIFACT tokenizer: text in (pushed in chunks), segments out as elements of components, release character
 * applied. Separators come from UNA when present (re-read at every UNA), else the defaults `:+.? '`. CR/LF are
 * formatting (files hard-wrapped at any width read the same) unless a UNA makes one of them the terminator.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";

export interface EdifactSeparators {
  component: string;
  element: string;
  decimal: string;
  release: string;
  segment: string;
}

export const DEFAULT_SEPARATORS: EdifactSeparators = {
  component: ":",
  element: "+",
  decimal: ".",
  release: "?",
  segment: "'",
};

export interface EdifactSegment {
  tag: string;
  /** elements[0] is [tag]; elements[i][j-1] is component j of element i. */
  elements: string[][];
  /** 1-based ordinal in the file (UNA counted). */
  index: number;
  separators: EdifactSeparators;
}

export interface EdifactTokenizer {
  push(text: string): void;
  end(): void;
}

const MAX_SEGMENT_LENGTH = 1 << 20;

/** Formatting between segments: whitespace, NUL, the DOS end-of-file mark, a byte order mark. */
const isBlank = (c: number) =>
  c === 32 || c === 9 || c === 10 || c === 13 || c === 0 || c === 0x1a || c === 0xfeff;

/** Splits a segment into elements and components, honouring the release character. */
export function splitSegment(raw: string, s: EdifactSeparators): string[][] {
  if (!raw.includes(s.release)) return raw.split(s.element).map((e) => e.split(s.component));
  const elements: string[][] = [];
  let components: string[] = [];
  let value = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === s.release && i + 1 < raw.length) {
      value += raw[++i];
    } else if (c === s.element) {
      components.push(value);
      elements.push(components);
      components = [];
      value = "";
    } else if (c === s.component) {
      components.push(value);
      value = "";
    } else value += c;
  }
  components.push(value);
  elements.push(components);
  return elements;
}

export function createEdifactTokenizer(sink: {
  segment(s: EdifactSegment): void;
  diagnostic(d: Diagnostic): void;
}): EdifactTokenizer {
  let buf = "";
  let seps = DEFAULT_SEPARATORS;
  let index = 0;
  const stripNewlines = () => seps.segment !== "\n" && seps.segment !== "\r";

  /** Index of the next terminator at or after `from` that is not released, or -1. */
  const nextTerminator = (from: number): number => {
    let i = buf.indexOf(seps.segment, from);
    while (i >= 0) {
      let releases = 0;
      for (let j = i - 1; j >= from && buf[j] === seps.release; j--) releases++;
      if (releases % 2 === 0) return i;
      i = buf.indexOf(seps.segment, i + 1);
    }
    return -1;
  };

  const run = (final: boolean): number => {
    let pos = 0;
    while (pos < buf.length) {
      while (pos < buf.length && isBlank(buf.charCodeAt(pos))) pos++;
      if (pos >= buf.length) break;
      if (
        buf.startsWith("UNA", pos) ||
        (!final && buf.length - pos < 3 && "UNA".startsWith(buf.slice(pos)))
      ) {
        if (buf.length - pos < 9) {
          if (!final) return pos;
          sink.diagnostic(
            diagnostic("EDIFACT.InvalidUNA", "fatal", "the UNA service string advice is cut short", {
              segment: index + 1,
              segmentId: "UNA",
            }),
          );
          return buf.length;
        }
        const a = buf.slice(pos + 3, pos + 9);
        seps = { component: a[0]!, element: a[1]!, decimal: a[2]!, release: a[3]!, segment: a[5]! };
        if (new Set([seps.component, seps.element, seps.release, seps.segment]).size < 4) {
          sink.diagnostic(
            diagnostic(
              "EDIFACT.InvalidUNA",
              "fatal",
              `UNA "${buf.slice(pos, pos + 9)}" repeats a separator`,
              { segment: index + 1, segmentId: "UNA" },
            ),
          );
          return buf.length;
        }
        sink.segment({ tag: "UNA", elements: [["UNA"], [a]], index: ++index, separators: seps });
        pos += 9;
        continue;
      }
      let end = nextTerminator(pos);
      if (end < 0) {
        if (buf.length - pos > MAX_SEGMENT_LENGTH) {
          sink.diagnostic(
            diagnostic(
              "EDIFACT.SegmentTooLong",
              "fatal",
              `no segment terminator "${seps.segment}" within ${MAX_SEGMENT_LENGTH} characters`,
              { segment: index + 1 },
            ),
          );
          return buf.length;
        }
        if (!final) return pos;
        end = buf.length;
      }
      let raw = buf.slice(pos, end);
      pos = end + 1;
      if (stripNewlines() && (raw.includes("\n") || raw.includes("\r"))) raw = raw.replace(/[\r\n]/g, "");
      if (raw.length === 0) continue;
      const elements = splitSegment(raw, seps);
      const tag = elements[0]![0]!.trim();
      elements[0] = [tag];
      sink.segment({ tag, elements, index: ++index, separators: seps });
    }
    return pos;
  };

  return {
    push(text: string) {
      buf = buf.length === 0 ? text : buf + text;
      buf = buf.slice(run(false));
    },
    end() {
      run(true);
      buf = "";
    },
  };
}
