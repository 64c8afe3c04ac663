/**
 * Reads acknowledgements: 997 and 999 transaction sets into typed records (AK1..AK9, IK3/IK4/IK5, CTX), and
 * TA1 interchange acknowledgements, whether a TA1 stands alone or rides inside an interchange before its GS.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import type { ByteSource, TextEncoding } from "../text.js";
import type { EnvelopeHandler } from "./envelope.js";
import { runX12 } from "./parse.js";
import type { Segment } from "./tokenizer.js";

export interface ElementError {
  position: string;
  reference?: string;
  code?: string;
  value?: string;
}

export interface SegmentError {
  segmentId: string;
  position: string;
  loop?: string;
  code?: string;
  /** 999 CTX segments: business unit or segment context, as written. */
  context: string[];
  elementErrors: ElementError[];
}

export interface SetAck {
  /** AK201/AK202/AK203: the acknowledged set. */
  id: string;
  controlNumber: string;
  convention?: string;
  /** AK501 / IK501: A accepted, E accepted with errors, R rejected, M, W, X. */
  status?: string;
  /** AK502..AK506 / IK502..IK506. */
  codes: string[];
  segmentErrors: SegmentError[];
}

export interface FunctionalAck {
  type: "997" | "999";
  /** ST02 of the acknowledgement itself. */
  controlNumber: string;
  /** AK1: the acknowledged group. */
  functionalId: string;
  groupControlNumber: string;
  version?: string;
  sets: SetAck[];
  /** AK9: status (A, E, P, R), sets included / received / accepted, error codes. */
  status?: string;
  included?: number;
  received?: number;
  accepted?: number;
  codes: string[];
}

export interface InterchangeAck {
  /** TA101..TA105. */
  controlNumber: string;
  date: string;
  time: string;
  status: string;
  note: string;
}

export type AckReadEvent =
  | { kind: "functional"; ack: FunctionalAck }
  | { kind: "interchange"; ack: InterchangeAck }
  | { kind: "diagnostic"; diagnostic: Diagnostic };

const opt = (seg: Segment, i: number): string | undefined => {
  const v = seg.elements[i]?.trim();
  return v ? v : undefined;
};
const req = (seg: Segment, i: number) => seg.elements[i]?.trim() ?? "";
const count = (seg: Segment, i: number) => {
  const v = opt(seg, i);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};
const codesFrom = (seg: Segment, from: number) =>
  seg.elements
    .slice(from)
    .map((c) => c.trim())
    .filter((c) => c !== "");

function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

export async function* readAcknowledgements(
  source: ByteSource,
  options: { encoding?: TextEncoding } = {},
): AsyncGenerator<AckReadEvent> {
  let out: AckReadEvent[] = [];
  let ack: FunctionalAck | undefined; // of the open set

  const ta1 = (seg: Segment) =>
    out.push({
      kind: "interchange",
      ack: {
        controlNumber: req(seg, 1),
        date: req(seg, 2),
        time: req(seg, 3),
        status: req(seg, 4),
        note: req(seg, 5),
      },
    });

  const handler: EnvelopeHandler = {
    diagnostic: (d) => out.push({ kind: "diagnostic", diagnostic: d }),
    serviceSegment(_ic, seg) {
      if (seg.id === "TA1") ta1(seg);
    },
    setStart(set) {
      if (set.id === "997" || set.id === "999") {
        ack = {
          type: set.id,
          controlNumber: set.controlNumber,
          functionalId: "",
          groupControlNumber: "",
          sets: [],
          codes: [],
        };
      } else {
        out.push({
          kind: "diagnostic",
          diagnostic: diagnostic(
            "X12.NotAnAcknowledgement",
            "warning",
            `transaction set ${set.id} ${set.controlNumber} is not a 997 or 999; skipped`,
            { segment: set.st.index, segmentId: "ST", element: 1 },
          ),
        });
      }
    },
    setSegment(_set, seg) {
      if (!ack) return;
      const current = ack.sets.at(-1);
      const segment = current?.segmentErrors.at(-1);
      switch (seg.id) {
        case "AK1":
          ack.functionalId = req(seg, 1);
          ack.groupControlNumber = req(seg, 2);
          setIf(ack, "version", opt(seg, 3));
          return;
        case "AK2": {
          const s: SetAck = { id: req(seg, 1), controlNumber: req(seg, 2), codes: [], segmentErrors: [] };
          setIf(s, "convention", opt(seg, 3));
          ack.sets.push(s);
          return;
        }
        case "AK3":
        case "IK3": {
          if (!current) return;
          const e: SegmentError = {
            segmentId: req(seg, 1),
            position: req(seg, 2),
            context: [],
            elementErrors: [],
          };
          setIf(e, "loop", opt(seg, 3));
          setIf(e, "code", opt(seg, 4));
          current.segmentErrors.push(e);
          return;
        }
        case "CTX":
          segment?.context.push(seg.elements.slice(1).join(seg.separators.element));
          return;
        case "AK4":
        case "IK4": {
          if (!segment) return;
          const e: ElementError = { position: req(seg, 1) };
          setIf(e, "reference", opt(seg, 2));
          setIf(e, "code", opt(seg, 3));
          setIf(e, "value", opt(seg, 4));
          segment.elementErrors.push(e);
          return;
        }
        case "AK5":
        case "IK5":
          if (!current) return;
          setIf(current, "status", opt(seg, 1));
          current.codes = codesFrom(seg, 2);
          return;
        case "AK9":
          setIf(ack, "status", opt(seg, 1));
          setIf(ack, "included", count(seg, 2));
          setIf(ack, "received", count(seg, 3));
          setIf(ack, "accepted", count(seg, 4));
          ack.codes = codesFrom(seg, 5);
          return;
      }
    },
    setEnd() {
      if (ack) out.push({ kind: "functional", ack });
      ack = undefined;
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
