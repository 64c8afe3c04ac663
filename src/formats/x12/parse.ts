/**
 * X12 invoices from bytes: tokenizer -> envelope -> 810 mapper, pushed synchronously per chunk (an async
 * step per segment would cost more than the parsing), with invoices and diagnostics yielded after each chunk.
 */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import type { ParseEvent } from "../invoice.js";
import { type ByteSource, decodeText, type TextEncoding } from "../text.js";
import { createEnvelope, type EnvelopeHandler } from "./envelope.js";
import { createInvoice810, type Invoice810 } from "./invoice-810.js";
import { createX12Tokenizer } from "./tokenizer.js";

export interface X12Options {
  /** Put into each invoice's `source.file`. */
  file?: string;
  encoding?: TextEncoding;
}

/**
 * Runs text through tokenizer and envelope with `handler`, calling `flush` after every chunk so a caller can
 * hand out what it collected. Adds a fatal diagnostic when the input holds no X12 segment at all.
 */
export async function* runX12<T>(
  source: ByteSource,
  handler: EnvelopeHandler,
  flush: () => T[],
  encoding: TextEncoding = "auto",
): AsyncGenerator<T> {
  let segments = 0;
  const envelope = createEnvelope(handler);
  const tokenizer = createX12Tokenizer({
    segment(seg) {
      segments++;
      envelope.segment(seg);
    },
    diagnostic: (d) => handler.diagnostic(d),
  });
  for await (const text of decodeText(source, encoding)) {
    tokenizer.push(text);
    yield* flush();
  }
  tokenizer.end();
  envelope.end();
  if (segments === 0) {
    handler.diagnostic(
      diagnostic("X12.NoSegments", "fatal", "no X12 segment found: the file is empty or not X12", {
        segment: 1,
      }),
    );
  }
  yield* flush();
}

export async function* parseX12(source: ByteSource, options: X12Options = {}): AsyncGenerator<ParseEvent> {
  let out: ParseEvent[] = [];
  // One set is open at a time. A plain variable, not a WeakMap keyed by the set: V8 clears WeakMap entries only in
  // full collections, so every invoice would survive the young generation (measured: 3x the GC time).
  let mapper: Invoice810 | undefined;
  const push = (d: Diagnostic) => out.push({ kind: "diagnostic", diagnostic: d });
  const handler: EnvelopeHandler = {
    diagnostic: push,
    setStart(set) {
      if (set.id !== "810") {
        push(
          diagnostic(
            "X12.NotAnInvoice",
            "warning",
            `transaction set ${set.id} ${set.controlNumber} is not an 810 invoice; skipped`,
            { segment: set.st.index, segmentId: "ST", element: 1 },
          ),
        );
        return;
      }
      // Mapper diagnostics are recorded on the set too, so an acknowledgement can report them.
      const report = (d: Diagnostic) => {
        set.diagnostics.push(d);
        push(d);
      };
      mapper = createInvoice810(set, report, options.file);
    },
    setSegment(_set, seg, position) {
      mapper?.segment(seg, position);
    },
    setEnd(set) {
      const invoice = mapper?.finish();
      mapper = undefined;
      if (!invoice) return;
      // A set without its SE lost an unknown part of its lines and totals: an invoice read from it
      // would carry a wrong total, so it is reported, not read. When the file ends inside it, the
      // file was cut off in transfer: that is fatal, so the file is fetched again rather than taken
      // without its last invoice.
      if (set.truncated) {
        const number = invoice.invoiceNumber || "(no number)";
        push(
          set.cutOff
            ? diagnostic(
                "X12.Truncated",
                "fatal",
                `the file ends inside transaction set ${set.controlNumber} (invoice ${number}): it was cut off, and that invoice was not read`,
                { segment: set.st.index, segmentId: "ST" },
              )
            : diagnostic(
                "X12.810.Incomplete",
                "error",
                `invoice ${number} of transaction set ${set.controlNumber} has no SE trailer: it is incomplete and was not read`,
                { segment: set.st.index, segmentId: "ST" },
              ),
        );
        return;
      }
      out.push({ kind: "invoice", invoice });
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
