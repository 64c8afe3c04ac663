/**
 * Acknowledgements for an inbound X12 file: a 997 (groups below 5010) or 999 (5010 and later) per functional
 * group, with one AK2/AK5 (IK5) per transaction set and the AK9 counts, and a TA1 when the interchange asks
 * for one (ISA14=1) or its envelope is broken. Written as the input streams: each acknowledgement interchange
 * is emitted when its input interchange ends; memory is one group's acknowledgement.
 */
import type { Diagnostic } from "../diagnostics.js";
import type { ByteSource, TextEncoding } from "../text.js";
import type { GroupInfo, InterchangeInfo, SetInfo } from "./envelope.js";
import { createInvoice810, type Invoice810 } from "./invoice-810.js";
import { runX12 } from "./parse.js";
import type { Segment } from "./tokenizer.js";

export interface AckOptions {
  /** First interchange control number to use (ISA13/IEA02); groups and sets count from 1. Default 1. */
  controlNumber?: number;
  /** Date and time written into ISA09/10 and GS04/05. Default: now. */
  now?: Date;
  /** ISA15 of the acknowledgement; default: the inbound interchange's. */
  usage?: "P" | "T";
  encoding?: TextEncoding;
}

/** What the writer emits besides the text: the diagnostics it found, for a caller to show. */
export type AckEvent = { kind: "text"; text: string } | { kind: "diagnostic"; diagnostic: Diagnostic };

const E = "*";
const T = "~\n";
/** Characters that would break our own separators when copied out of the inbound data (AK404). */
const clean = (s: string) => s.replace(/[*~\r\n^:>]/g, " ").slice(0, 99);

/** Drops empty trailing elements: a segment does not end with element separators. */
const trimEmpty = (elements: string[]): string[] => {
  let n = elements.length;
  while (n > 1 && elements[n - 1] === "") n--;
  return elements.slice(0, n);
};

/** TA1 note codes that still let the interchange be processed (counts and control numbers at IEA). */
const TA1_ERROR_NOTES = new Set(["001", "021"]);

interface GroupAck {
  lines: string[];
  received: number;
  accepted: number;
  is999: boolean;
}

const is5010 = (version: string) => version.replace(/^0*/, "") >= "501";

export async function* writeAcknowledgements(
  source: ByteSource,
  options: AckOptions = {},
): AsyncGenerator<AckEvent> {
  const now = options.now ?? new Date();
  const pad2 = (n: number) => String(n).padStart(2, "0");
  const ccyymmdd = `${now.getUTCFullYear()}${pad2(now.getUTCMonth() + 1)}${pad2(now.getUTCDate())}`;
  const hhmm = `${pad2(now.getUTCHours())}${pad2(now.getUTCMinutes())}`;
  let interchangeNumber = options.controlNumber ?? 1;
  let out: AckEvent[] = [];
  const text = (t: string) => out.push({ kind: "text", text: t });

  // One interchange, group and set are open at a time: plain variables (WeakMap entries outlive the young
  // generation, see parse.ts).
  let mapper: Invoice810 | undefined;
  /**
   * The business unit of the open set for 999 CTX: the invoice number (BIG02) and BIG's position; errors from
   * BIG on are within the invoice.
   */
  let business: { number: string; position: number } | undefined;
  let groupAck: GroupAck | undefined;
  /** The acknowledgement groups written for an inbound interchange, until it ends. */
  let pending: { lines: string[]; groups: number; v5010: boolean } | undefined;

  const isa = (ic: InterchangeInfo, version: string, control: string) => {
    const v5010 = is5010(version);
    const field = (s: string, n: number) => s.slice(0, n).padEnd(n, " ");
    return [
      "ISA",
      "00",
      field("", 10),
      "00",
      field("", 10),
      field(ic.receiverQualifier || "ZZ", 2),
      field(ic.receiverId, 15),
      field(ic.senderQualifier || "ZZ", 2),
      field(ic.senderId, 15),
      ccyymmdd.slice(2),
      hhmm,
      v5010 ? "^" : "U",
      v5010 ? "00501" : "00401",
      control,
      "0",
      options.usage ?? (ic.usage || "P"),
      ">",
    ].join(E);
  };

  const nextControl = () => String(interchangeNumber++).padStart(9, "0");

  const handler = {
    diagnostic: (d: Diagnostic) => out.push({ kind: "diagnostic", diagnostic: d }),
    interchangeStart(_ic: InterchangeInfo) {
      pending = { lines: [], groups: 0, v5010: false };
    },
    groupStart(group: GroupInfo) {
      // Acknowledgements are never acknowledged; bare ST..SE without GS have nothing to address.
      if (!group.gs || group.functionalId === "FA") return;
      const is999 = is5010(group.version);
      const lines = [""]; // the ST, numbered when the group is written
      lines.push(["AK1", group.functionalId, group.controlNumber, ...(is999 ? [group.version] : [])].join(E));
      groupAck = { lines, received: 0, accepted: 0, is999 };
    },
    setStart(set: SetInfo) {
      if (set.id === "810" && groupAck) {
        const report = (d: Diagnostic) => {
          set.diagnostics.push(d);
          handler.diagnostic(d);
        };
        mapper = createInvoice810(set, report);
      }
    },
    setSegment(_set: SetInfo, seg: Segment, position: number) {
      mapper?.segment(seg, position);
      if (seg.id === "BIG" && !business) {
        const number = seg.elements[2]?.trim();
        // An identifier that needs cleaning is not known well enough to name the business unit (X12 RFI 2293).
        if (number && clean(number) === number) business = { number, position };
      }
    },
    setEnd(set: SetInfo) {
      mapper?.finish();
      mapper = undefined;
      const unit = business;
      business = undefined;
      const ack = groupAck;
      if (!ack) return;
      ack.received++;
      const [k3, k4, k5] = ack.is999 ? ["IK3", "IK4", "IK5"] : ["AK3", "AK4", "AK5"];
      ack.lines.push(
        ["AK2", set.id, set.controlNumber, ...(ack.is999 && set.convention ? [set.convention] : [])].join(E),
      );
      const setCodes = new Set<string>();
      let segmentErrors = false;
      if (set.id !== "810") setCodes.add("1");
      // One AK3/IK3 per segment in error, with the AK4/IK4 of each of its bad elements, in set order.
      const notes = new Map<number, { id: string; loop: string; code: string; elements: string[][] }>();
      for (const d of set.diagnostics) {
        if (d.severity === "warning" || !d.ack) continue;
        if (d.ack.set) setCodes.add(d.ack.set);
        const at = d.location.setPosition;
        if (!d.ack.segment || !d.location.segmentId || at === undefined) continue;
        let note = notes.get(at);
        if (!note) {
          note = { id: d.location.segmentId, loop: d.location.loop ?? "", code: d.ack.segment, elements: [] };
          notes.set(at, note);
        }
        if (d.ack.element && d.location.element !== undefined) {
          const position =
            d.location.component === undefined
              ? String(d.location.element)
              : `${d.location.element}>${d.location.component}`;
          const copy = d.value === undefined ? [] : [clean(d.value)];
          note.elements.push([k4, position, d.ack.elementReference ?? "", d.ack.element, ...copy]);
        }
      }
      for (const [at, note] of [...notes].sort((a, b) => a[0] - b[0])) {
        segmentErrors = true;
        ack.lines.push([k3, note.id, String(at), note.loop, note.code].join(E));
        // 999: the business unit (the invoice) when the error lies within it and its identifier is known.
        if (ack.is999 && unit && at >= unit.position)
          ack.lines.push(["CTX", `BIG02>${unit.number.slice(0, 35)}`].join(E));
        for (const element of note.elements.slice(0, 99)) ack.lines.push(trimEmpty(element).join(E));
      }
      if (segmentErrors) setCodes.add("5");
      const rejected = setCodes.size > 0;
      if (!rejected) ack.accepted++;
      ack.lines.push([k5, rejected ? "R" : "A", ...[...setCodes].slice(0, 5)].join(E));
    },
    groupEnd(group: GroupInfo) {
      const ack = groupAck;
      groupAck = undefined;
      if (!ack) return;
      const groupCodes = [...new Set(group.diagnostics.flatMap((d) => (d.ack?.group ? [d.ack.group] : [])))];
      const status =
        groupCodes.length > 0 || (ack.received > 0 && ack.accepted === 0)
          ? "R"
          : ack.accepted < ack.received
            ? "P"
            : "A";
      const included = group.statedSetCount || String(group.setCount);
      ack.lines.push(
        ["AK9", status, included, String(ack.received), String(ack.accepted), ...groupCodes.slice(0, 5)].join(
          E,
        ),
      );
      const body = pending;
      if (!body) return;
      const n = ++body.groups;
      body.v5010 ||= ack.is999;
      const version = ack.is999 ? "005010X231A1" : "004010";
      body.lines.push(
        ["GS", "FA", group.receiverId, group.senderId, ccyymmdd, hhmm, String(n), "X", version].join(E),
      );
      const st = String(n).padStart(4, "0");
      ack.lines[0] = ack.is999 ? `ST*999*${st}*005010X231A1` : `ST*997*${st}`;
      body.lines.push(...ack.lines);
      body.lines.push(["SE", String(ack.lines.length + 1), st].join(E));
      body.lines.push(["GE", "1", String(n)].join(E));
    },
    interchangeEnd(ic: InterchangeInfo) {
      const body = pending;
      pending = undefined;
      if (body && body.groups > 0) {
        const control = nextControl();
        const header = isa(ic, body.v5010 ? "00501" : "00401", control);
        text([header, ...body.lines, ["IEA", String(body.groups), control].join(E)].join(T) + T);
      }
      const notes = ic.diagnostics.flatMap((d) => (d.ack?.ta1 ? [d.ack.ta1] : []));
      if (ic.isa && (ic.ackRequested || notes.length > 0)) {
        const control = nextControl();
        const status = notes.length === 0 ? "A" : notes.every((n) => TA1_ERROR_NOTES.has(n)) ? "E" : "R";
        const ta1 = ["TA1", ic.controlNumber, ic.date, ic.time, status, notes[0] ?? "000"].join(E);
        text([isa(ic, ic.version, control), ta1, ["IEA", "0", control].join(E)].join(T) + T);
      }
    },
  };

  yield* runX12(
    source,
    handler,
    () => {
      const batch = out;
      out = [];
      return batch;
    },
    options.encoding,
  );
}
