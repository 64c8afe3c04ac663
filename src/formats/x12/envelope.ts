/**
 * X12 envelope: ISA/IEA, GS/GE, ST/SE nesting with their counts and control numbers. Problems become
 * diagnostics carrying the TA1 note or 997/999 code they map to; nothing is rejected here, so a caller can
 * both read every invoice and acknowledge what was wrong. State is one interchange, group and set at a time
 * plus the control numbers seen (for duplicates): memory does not grow with the transaction sets' size.
 */
import { type AckCodes, type Diagnostic, diagnostic, type Severity } from "../diagnostics.js";
import { detach } from "../text.js";
import type { Segment, Separators } from "./tokenizer.js";

export interface InterchangeInfo {
  /** Absent for a file of bare ST..SE sets. */
  isa?: Segment;
  separators: Separators;
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  date: string;
  time: string;
  version: string;
  controlNumber: string;
  ackRequested: boolean;
  usage: string;
  groupCount: number;
  groupNumbers: Set<string>;
  /** Interchange-level problems (the TA1 topics). */
  diagnostics: Diagnostic[];
  closed: boolean;
}

export interface GroupInfo {
  gs?: Segment;
  interchange: InterchangeInfo;
  functionalId: string;
  senderId: string;
  receiverId: string;
  controlNumber: string;
  /** GS08, e.g. 004010, 004010VICS, 005010X231A1. */
  version: string;
  setCount: number;
  /** GE01 as the sender wrote it (AK902 repeats it). */
  statedSetCount?: string;
  controlNumbers: Set<string>;
  diagnostics: Diagnostic[];
  closed: boolean;
}

export interface SetInfo {
  st: Segment;
  group: GroupInfo;
  /** ST01, ST02, ST03. */
  id: string;
  controlNumber: string;
  convention: string;
  /** Segments counted so far, ST included. */
  segmentCount: number;
  firstSegment: number;
  lastSegment: number;
  diagnostics: Diagnostic[];
  /** The set's trailer was missing (set ended by another envelope segment or the end of input). */
  truncated: boolean;
  /** The input ended inside the set: the file was cut off. */
  cutOff: boolean;
}

export interface EnvelopeHandler {
  diagnostic(d: Diagnostic): void;
  interchangeStart?(ic: InterchangeInfo): void;
  interchangeEnd?(ic: InterchangeInfo): void;
  groupStart?(group: GroupInfo): void;
  groupEnd?(group: GroupInfo): void;
  setStart?(set: SetInfo): void;
  /** A segment inside ST..SE (ST and SE excluded); `position` is its place in the set, ST = 1. */
  setSegment?(set: SetInfo, segment: Segment, position: number): void;
  setEnd?(set: SetInfo): void;
  /** TA1, ISB, ISE between ISA and the first GS. */
  serviceSegment?(ic: InterchangeInfo, segment: Segment): void;
}

export interface Envelope {
  segment(segment: Segment): void;
  end(): void;
}

const ISA_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];
const el = (s: Segment, i: number) => s.elements[i] ?? "";
const digits = (s: string, min: number, max: number) => s.length >= min && s.length <= max && /^\d+$/.test(s);

/** CCYYMMDD, or YYMMDD as versions before 4010 write GS04. */
function validDate(date: string): boolean {
  if (!/^(\d{2})?\d{6}$/.test(date)) return false;
  const m = Number(date.slice(-4, -2));
  const d = Number(date.slice(-2));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

export function createEnvelope(handler: EnvelopeHandler): Envelope {
  let ic: InterchangeInfo | undefined;
  let group: GroupInfo | undefined;
  let set: SetInfo | undefined;
  const interchangeNumbers = new Set<string>();

  const at = (seg: Segment, element?: number) => {
    const loc: { segment: number; segmentId: string; element?: number; setPosition?: number } = {
      segment: seg.index,
      segmentId: seg.id,
    };
    if (element !== undefined) loc.element = element;
    return loc;
  };

  const emit = (
    scope: { diagnostics: Diagnostic[] } | undefined,
    code: string,
    severity: Severity,
    message: string,
    seg: Segment,
    element?: number,
    ack?: AckCodes,
    value?: string,
  ) => {
    const loc = at(seg, element);
    if (set && scope === set) loc.setPosition = set.segmentCount;
    const extra: { ack?: AckCodes; value?: string } = {};
    if (ack) extra.ack = ack;
    if (value !== undefined) extra.value = value;
    const d = diagnostic(code, severity, message, loc, extra);
    scope?.diagnostics.push(d);
    handler.diagnostic(d);
  };

  const openInterchange = (isa: Segment | undefined, seps: Separators): InterchangeInfo => {
    const e = (i: number) => (isa ? el(isa, i).trim() : "");
    const info: InterchangeInfo = {
      separators: seps,
      senderQualifier: e(5),
      senderId: e(6),
      receiverQualifier: e(7),
      receiverId: e(8),
      date: e(9),
      time: e(10),
      version: e(12),
      controlNumber: e(13),
      ackRequested: e(14) === "1",
      usage: e(15),
      groupCount: 0,
      groupNumbers: new Set(),
      diagnostics: [],
      closed: false,
    };
    if (isa) info.isa = isa;
    return info;
  };

  const openGroup = (gs: Segment | undefined, interchange: InterchangeInfo): GroupInfo => {
    const e = (i: number) => (gs ? el(gs, i).trim() : "");
    const info: GroupInfo = {
      interchange,
      functionalId: e(1),
      senderId: e(2),
      receiverId: e(3),
      controlNumber: e(6),
      version: e(8) || interchange.version,
      setCount: 0,
      controlNumbers: new Set(),
      diagnostics: [],
      closed: false,
    };
    if (gs) info.gs = gs;
    return info;
  };

  const closeSet = (trailer: Segment | undefined, cause: Segment | undefined) => {
    const s = set;
    if (!s) return;
    if (!trailer) {
      s.truncated = true;
      s.cutOff = cause === undefined;
      const where = cause ?? s.st;
      emit(
        s,
        "X12.MissingSE",
        "error",
        `transaction set ${s.id} ${s.controlNumber} has no SE trailer${cause ? ` before ${cause.id}` : " before the end of the file"}`,
        where,
        undefined,
        { set: "2" },
      );
    }
    set = undefined;
    handler.setEnd?.(s);
  };

  const closeGroup = (trailer: Segment | undefined, cause: Segment | undefined) => {
    const g = group;
    if (!g) return;
    closeSet(undefined, cause);
    if (!trailer && g.gs) {
      emit(
        g,
        "X12.MissingGE",
        "error",
        `functional group ${g.controlNumber} has no GE trailer${cause ? ` before ${cause.id}` : " before the end of the file"}`,
        cause ?? g.gs,
        undefined,
        { group: "3", ta1: cause ? "024" : "023" },
      );
    }
    g.closed = true;
    group = undefined;
    handler.groupEnd?.(g);
  };

  const closeInterchange = (trailer: Segment | undefined, cause: Segment | undefined) => {
    const i = ic;
    if (!i) return;
    closeGroup(undefined, cause);
    if (!trailer && i.isa) {
      emit(
        i,
        "X12.MissingIEA",
        "error",
        `interchange ${i.controlNumber} has no IEA trailer${cause ? ` before ${cause.id}` : " before the end of the file"}`,
        cause ?? i.isa,
        undefined,
        { ta1: "023" },
      );
    }
    i.closed = true;
    ic = undefined;
    handler.interchangeEnd?.(i);
  };

  const checkIsa = (isa: Segment, info: InterchangeInfo) => {
    const wrong: string[] = [];
    for (let i = 1; i <= 16; i++) {
      const v = el(isa, i);
      if (v.length !== ISA_WIDTHS[i - 1]) wrong.push(`ISA${String(i).padStart(2, "0")} is ${v.length} wide`);
    }
    if (wrong.length > 0) {
      emit(
        info,
        "X12.ISAWidth",
        "warning",
        `the ISA is not fixed-width (${wrong.join(", ")}; expected 2/10/2/10/2/15/2/15/6/4/1/5/9/1/1/1); read by its separators`,
        isa,
      );
    }
    if (!digits(info.controlNumber, 1, 9)) {
      emit(
        info,
        "X12.InvalidControlNumber",
        "error",
        `ISA13 "${info.controlNumber}" must be a number of up to 9 digits`,
        isa,
        13,
        { ta1: "018" },
        info.controlNumber,
      );
    }
    if (!/^\d{6}$/.test(info.date) || !validDate(info.date)) {
      emit(info, "X12.InvalidDate", "error", `ISA09 "${info.date}" is not a YYMMDD date`, isa, 9, {
        ta1: "014",
      });
    }
    if (!/^\d{4}$/.test(info.time) || Number(info.time.slice(0, 2)) > 23 || Number(info.time.slice(2)) > 59) {
      emit(info, "X12.InvalidTime", "error", `ISA10 "${info.time}" is not an HHMM time`, isa, 10, {
        ta1: "015",
      });
    }
    if (!/^\d{5}$/.test(info.version) || info.version < "00200") {
      emit(
        info,
        "X12.UnknownVersion",
        "warning",
        `ISA12 "${info.version}" is not an X12 version; the group's GS08 decides how sets are read`,
        isa,
        12,
      );
    }
    const key = `${info.senderQualifier}/${info.senderId}/${info.controlNumber}`;
    if (interchangeNumbers.has(key)) {
      emit(
        info,
        "X12.DuplicateInterchange",
        "error",
        `interchange control number ${info.controlNumber} from ${info.senderId} appears twice in this file`,
        isa,
        13,
        { ta1: "025" },
      );
    }
    interchangeNumbers.add(detach(key));
  };

  const startIsa = (seg: Segment) => {
    if (ic) closeInterchange(undefined, seg);
    ic = openInterchange(seg, seg.separators);
    handler.interchangeStart?.(ic);
    checkIsa(seg, ic);
  };

  const startGs = (seg: Segment) => {
    if (group) closeGroup(undefined, seg);
    if (!ic) {
      ic = openInterchange(undefined, seg.separators);
      handler.interchangeStart?.(ic);
    }
    ic.groupCount++;
    group = openGroup(seg, ic);
    handler.groupStart?.(group);
    const g = group;
    if (!digits(g.controlNumber, 1, 9)) {
      emit(
        g,
        "X12.InvalidControlNumber",
        "error",
        `GS06 "${g.controlNumber}" must be a number of up to 9 digits`,
        seg,
        6,
        {
          group: "6",
        },
      );
    }
    if (ic.groupNumbers.has(g.controlNumber)) {
      emit(
        g,
        "X12.DuplicateGroup",
        "error",
        `group control number ${g.controlNumber} appears twice in interchange ${ic.controlNumber}`,
        seg,
        6,
        {
          group: "6",
        },
      );
    }
    ic.groupNumbers.add(detach(g.controlNumber));
    if (g.version === "") {
      emit(g, "X12.MissingVersion", "warning", "GS08 (version/release) is empty", seg, 8);
    }
    if (el(seg, 4) && !validDate(el(seg, 4).trim())) {
      emit(g, "X12.InvalidDate", "error", `GS04 "${el(seg, 4)}" is not a CCYYMMDD (or YYMMDD) date`, seg, 4, {
        group: "6",
      });
    }
  };

  const startSt = (seg: Segment) => {
    if (set) closeSet(undefined, seg);
    if (!group) {
      if (!ic) {
        ic = openInterchange(undefined, seg.separators);
        handler.interchangeStart?.(ic);
      }
      group = openGroup(undefined, ic);
      handler.groupStart?.(group);
    }
    const g = group;
    g.setCount++;
    set = {
      st: seg,
      group: g,
      id: el(seg, 1).trim(),
      controlNumber: el(seg, 2).trim(),
      convention: el(seg, 3).trim(),
      segmentCount: 1,
      firstSegment: seg.index,
      lastSegment: seg.index,
      diagnostics: [],
      truncated: false,
      cutOff: false,
    };
    handler.setStart?.(set);
    const s = set;
    if (!/^\d{3}$/.test(s.id)) {
      emit(s, "X12.InvalidSetId", "error", `ST01 "${s.id}" is not a transaction set identifier`, seg, 1, {
        set: "6",
      });
    }
    if (s.controlNumber.length < 4 || s.controlNumber.length > 9) {
      emit(
        s,
        "X12.InvalidControlNumber",
        "error",
        `ST02 "${s.controlNumber}" must be 4 to 9 characters`,
        seg,
        2,
        { set: "7" },
        s.controlNumber,
      );
    }
    if (g.controlNumbers.has(s.controlNumber)) {
      emit(
        s,
        "X12.DuplicateSet",
        "error",
        `transaction set control number ${s.controlNumber} appears twice in group ${g.controlNumber}`,
        seg,
        2,
        { set: "23" },
      );
    }
    g.controlNumbers.add(detach(s.controlNumber));
  };

  const endSe = (seg: Segment) => {
    const s = set;
    if (!s) {
      emit(group ?? ic, "X12.UnexpectedSegment", "error", "SE without a matching ST", seg, undefined, {
        ta1: "024",
      });
      return;
    }
    s.segmentCount++;
    s.lastSegment = seg.index;
    const count = el(seg, 1).trim();
    if (count !== String(s.segmentCount) && Number(count) !== s.segmentCount) {
      emit(
        s,
        "X12.SegmentCountMismatch",
        "error",
        `SE01 says ${count || "(empty)"} segments but transaction set ${s.controlNumber} has ${s.segmentCount} (ST and SE included)`,
        seg,
        1,
        { set: "4" },
        count,
      );
    }
    const control = el(seg, 2).trim();
    if (control !== s.controlNumber) {
      emit(
        s,
        "X12.ControlNumberMismatch",
        "error",
        `SE02 "${control}" does not match ST02 "${s.controlNumber}"`,
        seg,
        2,
        { set: "3" },
        control,
      );
    }
    closeSet(seg, undefined);
  };

  const endGe = (seg: Segment) => {
    const g = group;
    if (!g?.gs) {
      emit(ic, "X12.UnexpectedSegment", "error", "GE without a matching GS", seg, undefined, { ta1: "024" });
      return;
    }
    closeSet(undefined, seg);
    const count = el(seg, 1).trim();
    g.statedSetCount = count;
    if (Number(count) !== g.setCount || count === "") {
      emit(
        g,
        "X12.SetCountMismatch",
        "error",
        `GE01 says ${count || "(empty)"} transaction sets but group ${g.controlNumber} has ${g.setCount}`,
        seg,
        1,
        { group: "5" },
        count,
      );
    }
    const control = el(seg, 2).trim();
    if (control !== g.controlNumber) {
      emit(
        g,
        "X12.ControlNumberMismatch",
        "error",
        `GE02 "${control}" does not match GS06 "${g.controlNumber}"`,
        seg,
        2,
        { group: "4" },
        control,
      );
    }
    closeGroup(seg, undefined);
  };

  const endIea = (seg: Segment) => {
    const i = ic;
    if (!i?.isa) {
      emit(undefined, "X12.UnexpectedSegment", "error", "IEA without a matching ISA", seg, undefined, {
        ta1: "024",
      });
      return;
    }
    closeGroup(undefined, seg);
    const count = el(seg, 1).trim();
    if (Number(count) !== i.groupCount || count === "") {
      emit(
        i,
        "X12.GroupCountMismatch",
        "error",
        `IEA01 says ${count || "(empty)"} functional groups but interchange ${i.controlNumber} has ${i.groupCount}`,
        seg,
        1,
        { ta1: "021" },
        count,
      );
    }
    const control = el(seg, 2).trim();
    if (control !== i.controlNumber) {
      emit(
        i,
        "X12.ControlNumberMismatch",
        "error",
        `IEA02 "${control}" does not match ISA13 "${i.controlNumber}"`,
        seg,
        2,
        { ta1: "001" },
        control,
      );
    }
    closeInterchange(seg, undefined);
  };

  return {
    segment(seg: Segment) {
      switch (seg.id) {
        case "ISA":
          return startIsa(seg);
        case "GS":
          return startGs(seg);
        case "ST":
          return startSt(seg);
        case "SE":
          return endSe(seg);
        case "GE":
          return endGe(seg);
        case "IEA":
          return endIea(seg);
      }
      if (set) {
        set.segmentCount++;
        set.lastSegment = seg.index;
        handler.setSegment?.(set, seg, set.segmentCount);
        return;
      }
      // Interchange-level service segments: TA1 (an acknowledgement riding along), ISB/ISE (X12.58 security).
      if (!group && ic && (seg.id === "TA1" || seg.id === "ISB" || seg.id === "ISE")) {
        handler.serviceSegment?.(ic, seg);
        return;
      }
      emit(
        group ?? ic,
        "X12.UnexpectedSegment",
        "error",
        `segment ${seg.id} is outside any transaction set (expected ${group ? "ST or GE" : ic ? "GS or IEA" : "ISA"})`,
        seg,
        undefined,
        group ? {} : { ta1: "024" },
      );
    },
    end() {
      closeInterchange(undefined, undefined);
    },
  };
}
