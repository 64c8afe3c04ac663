/** EDIFACT invoices from bytes: tokenizer -> envelope -> INVOIC mapper, pushed per chunk. */
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import type { ParseEvent } from "../invoice.js";
import { type ByteSource, decodeText, type TextEncoding } from "../text.js";
import { createEdifactEnvelope } from "./envelope.js";
import { createInvoicMapper, type InvoicMapper } from "./invoic.js";
import { createEdifactTokenizer } from "./tokenizer.js";

export interface EdifactOptions {
  file?: string;
  encoding?: TextEncoding;
}

export async function* parseEdifact(
  source: ByteSource,
  options: EdifactOptions = {},
): AsyncGenerator<ParseEvent> {
  let out: ParseEvent[] = [];
  let segments = 0;
  const push = (d: Diagnostic) => out.push({ kind: "diagnostic", diagnostic: d });
  // One message is open at a time; a plain variable lets its invoice die young (a WeakMap entry would not).
  let mapper: InvoicMapper | undefined;
  const envelope = createEdifactEnvelope({
    diagnostic: push,
    messageStart(m) {
      if (m.type !== "INVOIC") {
        push(
          diagnostic(
            "EDIFACT.NotAnInvoice",
            "warning",
            `message ${m.reference} is ${m.type || "untyped"}, not INVOIC; skipped`,
            {
              segment: m.unh.index,
              segmentId: "UNH",
              element: 2,
            },
          ),
        );
        return;
      }
      mapper = createInvoicMapper(m, push, options.file);
    },
    messageSegment(_m, seg, position) {
      mapper?.segment(seg, position);
    },
    messageEnd() {
      const invoice = mapper?.finish();
      mapper = undefined;
      if (invoice) out.push({ kind: "invoice", invoice });
    },
  });
  const tokenizer = createEdifactTokenizer({
    segment(seg) {
      segments++;
      envelope.segment(seg);
    },
    diagnostic: push,
  });
  for await (const text of decodeText(source, options.encoding ?? "auto")) {
    tokenizer.push(text);
    if (out.length > 0) {
      yield* out;
      out = [];
    }
  }
  tokenizer.end();
  envelope.end();
  if (segments === 0)
    push(diagnostic("EDIFACT.NoSegments", "fatal", "no EDIFACT segment found", { segment: 1 }));
  yield* out;
}
