/**
 * Inflow's own invoice JSON: one object, an array of objects, or NDJSON (also concatenated objects). A scanner
 * cuts the text into top-level records (array elements or values) without parsing the whole document, so a
 * large array streams with memory of one record. Each record is validated against invoice.schema.json.
 */
import { Ajv, type ErrorObject } from "ajv";
import { type Diagnostic, diagnostic } from "../diagnostics.js";
import { finishInvoice, type Invoice, type ParseEvent } from "../invoice.js";
import schema from "../invoice.schema.json" with { type: "json" };
import { type ByteSource, decodeText, type TextEncoding } from "../text.js";

export interface JsonOptions {
  file?: string;
  encoding?: TextEncoding;
}

/** A record larger than this is refused rather than buffered (a JSON invoice of 64 MB is not an invoice). */
export const MAX_RECORD_LENGTH = 64 << 20;

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

interface Record {
  text: string;
  /** 0-based index among the records, and the 1-based line/column where it starts. */
  index: number;
  line: number;
  column: number;
}

/**
 * Splits JSON text into top-level records. In array mode (the text starts with `[`) the records are the
 * array's elements; otherwise they are the successive top-level values. Push text in chunks; `end` flushes.
 */
function createSplitter(onRecord: (r: Record) => void, onError: (d: Diagnostic) => void) {
  let mode: "start" | "array" | "values" | "done" = "start";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let current = "";
  let recordStart: { line: number; column: number } | undefined;
  let index = 0;
  let line = 1;
  let column = 0;
  let failed = false;

  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    onError(diagnostic("JSON.Syntax", "fatal", message, { line, column, record: index }));
  };

  const emit = () => {
    const text = current.trim();
    current = "";
    if (text !== "" && recordStart) onRecord({ text, index: index++, ...recordStart });
    recordStart = undefined;
  };

  return {
    push(chunk: string) {
      if (failed || mode === "done") return;
      let from = 0; // start of the part of `chunk` that belongs to the current record
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (c === 10) {
          line++;
          column = 0;
        } else column++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        const blank = c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
        if (mode === "start") {
          if (blank) continue;
          mode = c === 91 ? "array" : "values";
          if (mode === "array") {
            depth = 1;
            from = i + 1;
            continue;
          }
        }
        const top = mode === "array" ? 1 : 0;
        if (depth === top && recordStart === undefined) {
          if (blank) {
            from = i + 1;
            continue;
          }
          if (mode === "array" && (c === 44 || c === 93)) {
            if (c === 93) {
              mode = "done";
              return;
            }
            from = i + 1;
            continue;
          }
          recordStart = { line, column };
          from = i;
        }
        if (mode === "array" && depth === top && (c === 44 || c === 93 || blank)) {
          // A scalar element ends at ",", "]" or a blank: emitted so that validation reports it.
          current += chunk.slice(from, i);
          from = i + 1;
          emit();
          if (c === 93) {
            mode = "done";
            return;
          }
          continue;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth < top) {
            fail(`unbalanced "${String.fromCharCode(c)}"`);
            return;
          }
          if (depth === top) {
            current += chunk.slice(from, i + 1);
            from = i + 1;
            emit();
          }
        }
      }
      if (recordStart !== undefined) {
        current += chunk.slice(from);
        if (current.length > MAX_RECORD_LENGTH)
          fail(`record ${index} is longer than ${MAX_RECORD_LENGTH} characters`);
      }
    },
    end() {
      if (failed || mode === "done") return;
      if (mode === "array" || inString || depth > 0) {
        fail("the JSON ends in the middle of a value (or the array is not closed)");
        return;
      }
      emit();
      if (mode === "start") fail("the file holds no JSON value");
    },
  };
}

const pointerOf = (e: ErrorObject) =>
  e.keyword === "required"
    ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
    : e.instancePath || "/";

export async function* parseJson(source: ByteSource, options: JsonOptions = {}): AsyncGenerator<ParseEvent> {
  let out: ParseEvent[] = [];
  const say = (d: Diagnostic) => out.push({ kind: "diagnostic", diagnostic: d });
  const onRecord = (r: Record) => {
    const at = { record: r.index, line: r.line, column: r.column };
    let value: unknown;
    try {
      value = JSON.parse(r.text);
    } catch (e) {
      say(
        diagnostic(
          "JSON.Syntax",
          "error",
          `record ${r.index} is not valid JSON: ${(e as Error).message}`,
          at,
        ),
      );
      return;
    }
    if (!validate(value)) {
      for (const e of validate.errors ?? []) {
        say(
          diagnostic(
            "JSON.SchemaViolation",
            "error",
            `record ${r.index}: ${pointerOf(e)} ${e.message ?? "is invalid"}`,
            {
              ...at,
              pointer: pointerOf(e),
            },
          ),
        );
      }
      return;
    }
    out.push({ kind: "invoice", invoice: normalize(value as Partial<Invoice>, r.index, options.file) });
  };
  const splitter = createSplitter(onRecord, say);
  for await (const text of decodeText(source, options.encoding ?? "auto")) {
    splitter.push(text);
    if (out.length > 0) {
      yield* out;
      out = [];
    }
  }
  splitter.end();
  yield* out;
}

/** Fills what the schema leaves optional and recomputes the computed totals; the stated total is kept. */
function normalize(value: Partial<Invoice>, record: number, file: string | undefined): Invoice {
  const inv = value as Invoice;
  inv.type ??= "invoice";
  for (const key of ["parties", "references", "dates", "terms", "notes", "charges", "taxes"] as const) {
    (inv[key] as unknown[]) ??= [];
  }
  for (const line of inv.lines) {
    line.itemIds ??= [];
    line.charges ??= [];
    line.taxes ??= [];
  }
  inv.totals ??= { lines: "0", charges: "0", allowances: "0", tax: "0" };
  inv.totals.stated ??= inv.total;
  inv.source ??= { format: "json", record, ...(file ? { file } : {}) };
  return finishInvoice(inv);
}
