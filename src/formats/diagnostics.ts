/**
 * Diagnostics: typed values that parsers emit instead of throwing. Each has a stable `code`
 * ("X12.SegmentCountMismatch"), a severity, the place it refers to and a message a person can act on.
 */

/**
 * - `fatal`: reading stopped (the file, or the interchange/message, could not be read further).
 * - `error`: a rule of the standard is broken (an acknowledgement rejects it); data was still read where possible.
 * - `warning`: a tolerated deviation or a business check (totals, counts) that does not reject anything.
 */
export type Severity = "fatal" | "error" | "warning";

export interface Location {
  /** 1-based ordinal of the segment in the file (X12, EDIFACT). */
  segment?: number;
  /** Segment id or tag (`SE`, `IT1`, `UNT`). */
  segmentId?: string;
  /** 1-based position of the segment inside its transaction set / message (ST or UNH = 1). */
  setPosition?: number;
  /** X12 loop the segment is in, by the loop's identifier on the set's diagram (`N1`, `IT1`, `SAC`). */
  loop?: string;
  /** 1-based element position inside the segment. */
  element?: number;
  /** 1-based component position inside the element. */
  component?: number;
  /** 1-based line and column (CSV, JSON). */
  line?: number;
  column?: number;
  /** 0-based index of the record in a JSON array or NDJSON stream. */
  record?: number;
  /** JSON pointer into a JSON record. */
  pointer?: string;
}

/** Acknowledgement codes the diagnostic maps to, so a 997/999/TA1 writer needs no second rulebook. */
export interface AckCodes {
  /** TA105 interchange note code (interchange envelope problems). */
  ta1?: string;
  /** AK905.. functional group error code. */
  group?: string;
  /** AK502.. / IK502.. transaction set error code. */
  set?: string;
  /** AK304 / IK304 segment syntax error code. */
  segment?: string;
  /** AK403 / IK403 element syntax error code. */
  element?: string;
  /** AK402 / IK402: the data element's reference number in the X12 dictionary (373 for a date). */
  elementReference?: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  location: Location;
  ack?: AckCodes;
  /** The offending value, when there is one (copied into AK404 / IK404). */
  value?: string;
}

export function diagnostic(
  code: string,
  severity: Severity,
  message: string,
  location: Location = {},
  extra: { ack?: AckCodes; value?: string } = {},
): Diagnostic {
  const d: Diagnostic = { code, severity, message, location };
  if (extra.ack) d.ack = extra.ack;
  if (extra.value !== undefined) d.value = extra.value;
  return d;
}

export function describeLocation(loc: Location): string {
  const parts: string[] = [];
  if (loc.segment !== undefined) {
    parts.push(`segment ${loc.segment}${loc.segmentId ? ` (${loc.segmentId})` : ""}`);
  } else if (loc.segmentId) {
    parts.push(`segment ${loc.segmentId}`);
  }
  if (loc.setPosition !== undefined) parts.push(`position ${loc.setPosition} in set`);
  if (loc.loop) parts.push(`${loc.loop} loop`);
  if (loc.element !== undefined) {
    parts.push(`element ${loc.element}${loc.component !== undefined ? `.${loc.component}` : ""}`);
  }
  if (loc.record !== undefined) parts.push(`record ${loc.record}`);
  if (loc.line !== undefined)
    parts.push(`line ${loc.line}${loc.column !== undefined ? `:${loc.column}` : ""}`);
  if (loc.pointer) parts.push(`at ${loc.pointer}`);
  return parts.join(", ");
}

/** One line for a terminal: `FILE: segment 19 (SE), element 1: error X12.SegmentCountMismatch: ...`. */
export function formatDiagnostic(d: Diagnostic, file?: string): string {
  const where = describeLocation(d.location);
  const head = [file, where].filter((s) => s).join(": ");
  return `${head ? `${head}: ` : ""}${d.severity} ${d.code}: ${d.message}`;
}
