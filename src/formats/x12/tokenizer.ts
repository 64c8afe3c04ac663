/**
 * X12 tokenizer: text in (pushed in chunks of any size), segments out. Separators are read from every ISA,
 * so "mailbag" files whose interchanges use different separators work. Tolerates what real files do: ISA
 * shorter or longer than 106 characters (separators are found by counting, not by offset), CR/LF used as the
 * terminator or merely as formatting, lines hard-wrapped inside segments, indentation and spaces between
 * segments, ST..SE without an envelope. Memory is bounded by the longest segment (MAX_SEGMENT_LENGTH).
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";

export interface Separators {
  element: string;
  component: string;
  /** Only when ISA12 >= 00402 and ISA11 is not alphanumeric (4010 files put `U` there). */
  repetition?: string;
  /** The segment terminator; "\n" stands for any of CR, LF, CRLF. */
  segment: string;
}

export interface Segment {
  id: string;
  /** elements[0] is the segment id, so elements[1] is XX01. */
  elements: string[];
  /** 1-based ordinal of the segment in the file. */
  index: number;
  separators: Separators;
}

export interface TokenizerSink {
  segment(segment: Segment): void;
  diagnostic(d: Diagnostic): void;
}

/** Longest segment accepted before the input is declared unreadable (a wrong terminator, binary data). */
export const MAX_SEGMENT_LENGTH = 1 << 20;
/** An ISA is 106 characters; real files stray from that by a little, never by this much. */
const MAX_ISA_SPAN = 400;

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isNewline = (c: number) => c === 10 || c === 13;
/** Formatting between segments; 0x1A is the DOS end-of-file mark some systems still append. */
const isBlank = (c: number) =>
  c === 32 || c === 9 || c === 10 || c === 13 || c === 0 || c === 0x1a || c === 0xfeff;

type IsaRead =
  | { kind: "ok"; separators: Separators; elements: string[]; end: number }
  | { kind: "more" }
  | { kind: "bad"; message: string };

/**
 * Reads the ISA starting at `start` by counting 16 element separators (CR/LF inside are wrap artefacts).
 * The component separator follows the 16th; the terminator follows it, unless that is CR/LF followed by
 * a non-alphanumeric character, in which case the line was wrapped and that character is the terminator.
 */
export function readIsa(text: string, start: number, final: boolean): IsaRead {
  const element = text[start + 3];
  if (element === undefined)
    return final ? { kind: "bad", message: "the ISA segment is cut short" } : { kind: "more" };
  const ec = element.charCodeAt(0);
  if (isAlnum(ec) || isBlank(ec)) {
    return { kind: "bad", message: `"${element}" after ISA cannot be an element separator` };
  }
  let seen = 0;
  let body = "ISA";
  let i = start + 3;
  const limit = Math.min(text.length, start + MAX_ISA_SPAN);
  for (; i < limit && seen < 16; i++) {
    const c = text.charCodeAt(i);
    if (isNewline(c)) continue;
    if (text[i] === element) seen++;
    body += text[i];
  }
  // Component separator: next character that is not a wrap.
  while (i < limit && isNewline(text.charCodeAt(i))) i++;
  if (seen < 16 || i >= limit) {
    if (!final && text.length < start + MAX_ISA_SPAN) return { kind: "more" };
    return { kind: "bad", message: `the ISA segment has ${seen} of its 16 element separators "${element}"` };
  }
  const component = text[i]!;
  i++;
  let segment: string;
  if (i >= text.length) {
    if (!final) return { kind: "more" };
    segment = "\n";
  } else if (isNewline(text.charCodeAt(i))) {
    let j = i;
    while (j < text.length && isNewline(text.charCodeAt(j))) j++;
    if (j >= text.length && !final) return { kind: "more" };
    const next = j < text.length ? text.charCodeAt(j) : 65;
    if (isAlnum(next) || next === 32) {
      segment = "\n";
      i = j;
    } else {
      segment = text[j]!;
      i = j + 1;
    }
  } else {
    segment = text[i]!;
    i++;
  }
  if (segment === element || segment === component) {
    return { kind: "bad", message: `the segment terminator "${segment}" repeats a separator` };
  }
  const elements = body.split(element);
  const version = (elements[12] ?? "").trim();
  const rep = elements[11] ?? "";
  const separators: Separators = { element, component, segment };
  if (
    rep.length === 1 &&
    !isAlnum(rep.charCodeAt(0)) &&
    version >= "00402" &&
    rep !== element &&
    rep !== segment
  ) {
    separators.repetition = rep;
  }
  elements[16] = component; // body ends with the 16th separator, so split left ISA16 empty
  return { kind: "ok", separators, elements, end: i };
}

/** Separators of a file without an ISA, guessed from its first segment (`ST*810*0001~`). */
function guessSeparators(text: string, start: number, final: boolean): Separators | "more" | undefined {
  let i = start;
  while (i < text.length && isAlnum(text.charCodeAt(i)) && i - start < 3) i++;
  if (i >= text.length) return final ? undefined : "more";
  if (i - start < 2) return undefined;
  const element = text[i]!;
  if (isBlank(element.charCodeAt(0)) || isAlnum(element.charCodeAt(0))) return undefined;
  for (let j = i + 1; j < Math.min(text.length, start + 200); j++) {
    const c = text.charCodeAt(j);
    if (isAlnum(c) || c === 32 || text[j] === element) continue;
    return { element, component: element === ">" ? ":" : ">", segment: isNewline(c) ? "\n" : text[j]! };
  }
  return final ? { element, component: ">", segment: "\n" } : "more";
}

/** Position of the first CR or LF, or -1. */
function firstLineBreak(text: string): number {
  const lf = text.indexOf("\n");
  const cr = text.indexOf("\r");
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

export interface X12Tokenizer {
  push(text: string): void;
  end(): void;
}

export function createX12Tokenizer(sink: TokenizerSink): X12Tokenizer {
  let buf = "";
  let seps: Separators | undefined;
  let index = 0;
  let offset = 0; // characters consumed before buf[0], for locating junk
  let junkReported = false;

  const emit = (raw: string, s: Separators) => deliver(raw.split(s.element), s);

  /**
   * Splits buf[from, to) at the element separator without cutting the segment out first: one substring per
   * element and none for the segment (measured ~40% faster than slice + split on the tokenizer's hot path).
   */
  const emitRange = (from: number, to: number, s: Separators) => {
    let count = 0;
    let start = from;
    for (;;) {
      const k = buf.indexOf(s.element, start);
      if (k < 0 || k >= to) {
        scratch[count++] = buf.slice(start, to);
        break;
      }
      scratch[count++] = buf.slice(start, k);
      start = k + 1;
    }
    // Copied out at its size: an array grown by push gets room for 17 elements, and a segment has about 5
    // (measured: a quarter of all bytes allocated on the 810 path).
    deliver(scratch.slice(0, count), s);
  };
  /** Elements of the segment being cut; their strings stay referenced until overwritten, no longer needed. */
  const scratch: string[] = [];

  const deliver = (elements: string[], s: Separators) => {
    const first = elements[0]!;
    // Leading blanks were skipped between segments; a trailing one ("ST ") is rare, so trim only then.
    const id = first.charCodeAt(first.length - 1) === 32 ? first.trim() : first;
    elements[0] = id;
    sink.segment({ id, elements, index: ++index, separators: s });
  };

  const reportJunk = (at: number, message: string) => {
    if (junkReported) return;
    junkReported = true;
    sink.diagnostic(
      diagnostic(
        "X12.UnreadableData",
        "error",
        `${message} (character ${offset + at + 1}); skipped to the next ISA`,
        {
          segment: index + 1,
        },
      ),
    );
  };

  /** Consumes as much of buf as forms whole segments; returns the position to keep from. */
  const run = (final: boolean): number => {
    let pos = 0;
    // Next line break at or after the current segment; -2 until first needed (files without wrapped lines
    // never need the CR search, and skipping it at every piece measured ~25% of the tokenizer's time).
    let lf = -2;
    let cr = -2;
    const n = buf.length;
    while (pos < n) {
      // Formatting between segments: CR/LF, spaces, indentation, NULs, a BOM between concatenated files.
      while (pos < n && isBlank(buf.charCodeAt(pos))) pos++;
      if (pos >= n) break;
      if (buf.startsWith("ISA", pos) || (n - pos < 3 && "ISA".startsWith(buf.slice(pos)))) {
        if (n - pos < 4 && !final) return pos;
        const isa = readIsa(buf, pos, final);
        if (isa.kind === "more") return pos;
        if (isa.kind === "ok") {
          seps = isa.separators;
          junkReported = false;
          sink.segment({ id: "ISA", elements: isa.elements, index: ++index, separators: seps });
          pos = isa.end;
          continue;
        }
        if (seps === undefined || !buf.startsWith(`ISA${seps.element}`, pos)) {
          sink.diagnostic(
            diagnostic("X12.InvalidISA", "fatal", `${isa.message}; the interchange cannot be read`, {
              segment: index + 1,
              segmentId: "ISA",
            }),
          );
          seps = undefined;
          const next = buf.indexOf("ISA", pos + 3);
          if (next < 0) return final ? n : Math.max(pos + 1, n - 2);
          pos = next;
          continue;
        }
      }
      if (seps === undefined) {
        const guess = guessSeparators(buf, pos, final);
        if (guess === "more") return pos;
        if (guess === undefined) {
          const next = buf.indexOf("ISA", pos + 1);
          reportJunk(pos, "data that is not X12");
          if (next < 0) return final ? n : Math.max(pos + 1, n - 2);
          pos = next;
          continue;
        }
        seps = guess;
        sink.diagnostic(
          diagnostic(
            "X12.NoInterchange",
            "warning",
            `segments without an ISA interchange header; separators guessed from the first segment`,
            { segment: index + 1 },
          ),
        );
      }
      let end: number;
      if (seps.segment === "\n") {
        const lf = buf.indexOf("\n", pos);
        const cr = buf.indexOf("\r", pos);
        end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      } else {
        end = buf.indexOf(seps.segment, pos);
      }
      if (end < 0) {
        if (n - pos > MAX_SEGMENT_LENGTH) {
          sink.diagnostic(
            diagnostic(
              "X12.SegmentTooLong",
              "fatal",
              `no segment terminator "${seps.segment}" within ${MAX_SEGMENT_LENGTH} characters; the interchange cannot be read`,
              { segment: index + 1 },
            ),
          );
          seps = undefined;
          const next = buf.indexOf("ISA", pos + 1);
          if (next < 0) return n;
          pos = next;
          continue;
        }
        if (!final) return pos;
        end = n;
      }
      const from = pos;
      pos = end + seps.segment.length;
      if (end === from) continue;
      // A line break inside the segment (a wrapped file) is formatting unless it is the terminator.
      if (seps.segment !== "\n") {
        // Each cached position moves forward only, so finding line breaks stays linear in the buffer.
        if (lf === -2 || (lf >= 0 && lf < from)) lf = buf.indexOf("\n", from);
        if (cr === -2 || (cr >= 0 && cr < from)) cr = buf.indexOf("\r", from);
        if ((lf >= 0 && lf < end) || (cr >= 0 && cr < end)) {
          const raw = buf.slice(from, end).replace(/[\r\n]/g, "");
          if (raw.length > 0) emit(raw, seps);
          continue;
        }
      }
      emitRange(from, end, seps);
    }
    return pos;
  };

  return {
    push(text: string) {
      let rest = text;
      if (buf.length > 0 && seps !== undefined) {
        // The segment cut by the previous piece is finished with this piece's first terminator, so the piece
        // itself is read in place: `buf + text` would copy the whole piece into a new string when searched.
        const k = seps.segment === "\n" ? firstLineBreak(text) : text.indexOf(seps.segment);
        if (k >= 0) {
          buf += text.slice(0, k + 1);
          const keep = run(false);
          offset += keep;
          buf = buf.slice(keep);
          rest = text.slice(k + 1);
        }
      }
      buf = buf.length === 0 ? rest : buf + rest;
      const keep = run(false);
      offset += keep;
      buf = buf.slice(keep);
    },
    end() {
      run(true);
      buf = "";
    },
  };
}
