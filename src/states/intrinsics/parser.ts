import { runtimeError, type StatesError } from "../errors.js";
import { compilePath } from "../paths.js";

/**
 * The syntax of intrinsic function calls:
 *
 *   call     := 'States.' name '(' [argument (',' argument)*] ')'
 *   argument := call | path | 'string' | number | true | false | null
 *
 * A path (`$.a`, `$$.a`, `$var[0]`) runs to the next top-level `,` or `)`, so it may hold brackets,
 * filters and quoted names. In a string, `\` escapes only `'`, `{`, `}` and `\`; AWS rejects any other
 * escape (`\"` included) as an invalid intrinsic function call.
 */

export type IntrinsicArgument =
  | { kind: "call"; name: string; args: IntrinsicArgument[] }
  | { kind: "path"; path: string }
  /** `raw` is a string as written between its quotes, escapes kept: States.Format needs `\{`. */
  | { kind: "literal"; value: string | number | boolean | null; raw?: string };

export type IntrinsicCall = Extract<IntrinsicArgument, { kind: "call" }>;

interface Cursor {
  readonly text: string;
  pos: number;
}

function syntaxError(cursor: Cursor, reason: string): StatesError {
  return runtimeError(`Invalid intrinsic function call '${cursor.text}': ${reason} at index ${cursor.pos}`);
}

function skipBlanks(cursor: Cursor): void {
  while (/\s/.test(cursor.text[cursor.pos] ?? "")) cursor.pos++;
}

/** Parses a whole field value; throws a States.Runtime error on bad syntax. */
export function parseIntrinsicSyntax(text: string): IntrinsicCall {
  const cursor: Cursor = { text, pos: 0 };
  skipBlanks(cursor);
  const call = parseCall(cursor);
  skipBlanks(cursor);
  if (cursor.pos < text.length) throw syntaxError(cursor, "unexpected text after the call");
  return call;
}

function parseCall(cursor: Cursor): IntrinsicCall {
  const name = /^States\.[A-Za-z0-9]+/.exec(cursor.text.slice(cursor.pos))?.[0];
  if (!name) throw syntaxError(cursor, "expected a function name such as States.Format");
  cursor.pos += name.length;
  skipBlanks(cursor);
  if (cursor.text[cursor.pos] !== "(") throw syntaxError(cursor, "expected '('");
  cursor.pos++;
  const args: IntrinsicArgument[] = [];
  skipBlanks(cursor);
  if (cursor.text[cursor.pos] === ")") {
    cursor.pos++;
    return { kind: "call", name, args };
  }
  for (;;) {
    args.push(parseArgument(cursor));
    skipBlanks(cursor);
    const char = cursor.text[cursor.pos];
    cursor.pos++;
    if (char === ")") return { kind: "call", name, args };
    if (char !== ",") {
      cursor.pos--;
      throw syntaxError(cursor, "expected ',' or ')'");
    }
  }
}

function parseArgument(cursor: Cursor): IntrinsicArgument {
  skipBlanks(cursor);
  const rest = cursor.text.slice(cursor.pos);
  if (rest.startsWith("States.")) return parseCall(cursor);
  if (rest.startsWith("$")) return parsePath(cursor);
  if (rest.startsWith("'")) return parseString(cursor);
  const word = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![A-Za-z0-9_.])/.exec(rest)?.[0];
  if (!word) throw syntaxError(cursor, "expected an argument");
  cursor.pos += word.length;
  return { kind: "literal", value: JSON.parse(word) as number | boolean | null };
}

function parsePath(cursor: Cursor): IntrinsicArgument {
  const { text } = cursor;
  const start = cursor.pos;
  let depth = 0;
  let quote: string | undefined;
  for (; cursor.pos < text.length; cursor.pos++) {
    const char = text[cursor.pos] as string;
    if (quote) {
      if (char === "\\") cursor.pos++;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "[" || char === "(") {
      depth++;
    } else if (char === "]" || char === ")") {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (char === "," || /\s/.test(char))) {
      break;
    }
  }
  const path = text.slice(start, cursor.pos);
  compilePath(path);
  return { kind: "path", path };
}

function parseString(cursor: Cursor): IntrinsicArgument {
  const { text } = cursor;
  let value = "";
  const start = cursor.pos + 1;
  for (cursor.pos = start; cursor.pos < text.length; cursor.pos++) {
    const char = text[cursor.pos] as string;
    if (char === "'") {
      const raw = text.slice(start, cursor.pos);
      cursor.pos++;
      return { kind: "literal", value, raw };
    }
    if (char === "\\") {
      const escaped = text[cursor.pos + 1];
      if (escaped === undefined || !"'{}\\".includes(escaped))
        throw syntaxError(cursor, "invalid escape sequence");
      value += escaped;
      cursor.pos++;
    } else {
      value += char;
    }
  }
  throw syntaxError(cursor, "unterminated string");
}
