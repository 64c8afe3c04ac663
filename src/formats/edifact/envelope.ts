/**
 * EDIFACT envelope: UNB/UNZ, optional UNG/UNE, UNH/UNT with their counts and references. Problems are
 * diagnostics; messages are handed to the caller segment by segment (memory: one message's state).
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import { detach } from "../text.js";
import type { EdifactSegment } from "./tokenizer.js";

export interface InterchangeHeader {
  syntax: string;
  senderId: string;
  senderQualifier: string;
  recipientId: string;
  recipientQualifier: string;
  controlReference: string;
  testIndicator: string;
}

export interface MessageInfo {
  unh: EdifactSegment;
  interchange?: InterchangeHeader;
  groupReference?: string;
  /** UNH01, UNH02 (type, version, release, agency, association code). */
  reference: string;
  type: string;
  version: string;
  release: string;
  association: string;
  segmentCount: number;
  firstSegment: number;
  lastSegment: number;
}

export interface EdifactHandler {
  diagnostic(d: Diagnostic): void;
  messageStart?(m: MessageInfo): void;
  messageSegment?(m: MessageInfo, seg: EdifactSegment, position: number): void;
  messageEnd?(m: MessageInfo): void;
}

const v = (seg: EdifactSegment, e: number, c = 1) => seg.elements[e]?.[c - 1]?.trim() ?? "";

export function createEdifactEnvelope(handler: EdifactHandler) {
  let interchange:
    | (InterchangeHeader & { unb: EdifactSegment; count: number; groups: number; refs: Set<string> })
    | undefined;
  let group: { ung: EdifactSegment; reference: string; count: number } | undefined;
  let message: MessageInfo | undefined;

  const say = (
    code: string,
    severity: Diagnostic["severity"],
    message_: string,
    seg: EdifactSegment,
    element?: number,
  ) =>
    handler.diagnostic(
      diagnostic(code, severity, message_, {
        segment: seg.index,
        segmentId: seg.tag,
        ...(element ? { element } : {}),
      }),
    );

  const closeMessage = (cause: EdifactSegment | undefined) => {
    if (!message) return;
    const m = message;
    say(
      "EDIFACT.MissingUNT",
      "error",
      `message ${m.reference} has no UNT trailer${cause ? ` before ${cause.tag}` : " before the end of the file"}`,
      cause ?? m.unh,
    );
    message = undefined;
    handler.messageEnd?.(m);
  };

  const closeGroup = (cause: EdifactSegment | undefined) => {
    closeMessage(cause);
    if (group)
      say("EDIFACT.MissingUNE", "error", `group ${group.reference} has no UNE trailer`, cause ?? group.ung);
    group = undefined;
  };

  const closeInterchange = (cause: EdifactSegment | undefined) => {
    closeGroup(cause);
    if (interchange) {
      say(
        "EDIFACT.MissingUNZ",
        "error",
        `interchange ${interchange.controlReference} has no UNZ trailer`,
        cause ?? interchange.unb,
      );
    }
    interchange = undefined;
  };

  return {
    segment(seg: EdifactSegment) {
      switch (seg.tag) {
        case "UNA":
          return;
        case "UNB":
          closeInterchange(interchange ? seg : undefined);
          interchange = {
            unb: seg,
            syntax: v(seg, 1),
            senderId: v(seg, 2),
            senderQualifier: v(seg, 2, 2),
            recipientId: v(seg, 3),
            recipientQualifier: v(seg, 3, 2),
            controlReference: v(seg, 5),
            testIndicator: v(seg, 11),
            count: 0,
            groups: 0,
            refs: new Set(),
          };
          return;
        case "UNG":
          closeGroup(group ? seg : undefined);
          if (interchange) interchange.groups++;
          group = { ung: seg, reference: v(seg, 5), count: 0 };
          return;
        case "UNE": {
          closeMessage(seg);
          if (!group) return say("EDIFACT.UnexpectedSegment", "error", "UNE without a UNG", seg);
          if (Number(v(seg, 1)) !== group.count) {
            say(
              "EDIFACT.MessageCountMismatch",
              "error",
              `UNE01 says ${v(seg, 1)} messages but the group has ${group.count}`,
              seg,
              1,
            );
          }
          if (v(seg, 2) !== group.reference) {
            say(
              "EDIFACT.ReferenceMismatch",
              "error",
              `UNE02 "${v(seg, 2)}" does not match UNG05 "${group.reference}"`,
              seg,
              2,
            );
          }
          group = undefined;
          return;
        }
        case "UNZ": {
          closeGroup(seg);
          if (!interchange) return say("EDIFACT.UnexpectedSegment", "error", "UNZ without a UNB", seg);
          const expected = interchange.groups > 0 ? interchange.groups : interchange.count;
          if (Number(v(seg, 1)) !== expected) {
            say(
              "EDIFACT.MessageCountMismatch",
              "error",
              `UNZ01 says ${v(seg, 1)} but the interchange has ${expected} ${interchange.groups > 0 ? "groups" : "messages"}`,
              seg,
              1,
            );
          }
          if (v(seg, 2) !== interchange.controlReference) {
            say(
              "EDIFACT.ReferenceMismatch",
              "error",
              `UNZ02 "${v(seg, 2)}" does not match UNB05 "${interchange.controlReference}"`,
              seg,
              2,
            );
          }
          interchange = undefined;
          return;
        }
        case "UNH": {
          closeMessage(seg);
          if (interchange) interchange.count++;
          if (group) group.count++;
          const m: MessageInfo = {
            unh: seg,
            reference: v(seg, 1),
            type: v(seg, 2, 1),
            version: v(seg, 2, 2),
            release: v(seg, 2, 3),
            association: v(seg, 2, 5),
            segmentCount: 1,
            firstSegment: seg.index,
            lastSegment: seg.index,
          };
          if (interchange) {
            const { unb: _unb, count: _c, groups: _g, refs, ...header } = interchange;
            m.interchange = header;
            if (refs.has(m.reference))
              say(
                "EDIFACT.DuplicateMessage",
                "error",
                `message reference ${m.reference} appears twice in the interchange`,
                seg,
                1,
              );
            refs.add(detach(m.reference));
          }
          if (group) m.groupReference = group.reference;
          message = m;
          handler.messageStart?.(m);
          return;
        }
        case "UNT": {
          if (!message) return say("EDIFACT.UnexpectedSegment", "error", "UNT without a UNH", seg);
          const m = message;
          m.segmentCount++;
          m.lastSegment = seg.index;
          if (Number(v(seg, 1)) !== m.segmentCount) {
            say(
              "EDIFACT.SegmentCountMismatch",
              "error",
              `UNT01 says ${v(seg, 1)} segments but message ${m.reference} has ${m.segmentCount} (UNH and UNT included)`,
              seg,
              1,
            );
          }
          if (v(seg, 2) !== m.reference) {
            say(
              "EDIFACT.ReferenceMismatch",
              "error",
              `UNT02 "${v(seg, 2)}" does not match UNH01 "${m.reference}"`,
              seg,
              2,
            );
          }
          message = undefined;
          handler.messageEnd?.(m);
          return;
        }
      }
      if (!message)
        return say("EDIFACT.UnexpectedSegment", "error", `segment ${seg.tag} is outside any message`, seg);
      message.segmentCount++;
      message.lastSegment = seg.index;
      handler.messageSegment?.(message, seg, message.segmentCount);
    },
    end() {
      closeInterchange(undefined);
    },
  };
}
