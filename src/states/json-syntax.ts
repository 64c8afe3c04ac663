/**
 * Why a text is not JSON, worded as Step Functions words it. AWS parses execution input with
 * Jackson and quotes Jackson's message, location included, in InvalidExecutionInput; clients and
 * people who match on those messages get the same text here. Called only after JSON.parse failed:
 * it finds the first error and stops.
 */

const EXPECTED_VALUE =
  "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
const SOURCE_CHARS = 500;

type Container = { kind: "Object" | "Array"; line: number; column: number; entries: number };

/** Undefined when `text` is JSON after all. */
export function jacksonSyntaxError(text: string): string | undefined {
  let index = 0;
  let line = 1;
  let lineStart = 0;
  const stack: Container[] = [];

  const source = () =>
    `[Source: (String)"${text.length > SOURCE_CHARS ? `${text.slice(0, SOURCE_CHARS)}"[truncated ${text.length - SOURCE_CHARS} chars]` : `${text}"`}`;
  const at = (atLine: number, column: number) => `${source()}; line: ${atLine}, column: ${column}]`;
  // Jackson reports the column after the character it stopped on (1-based).
  const fail = (message: string, column = index - lineStart + 2) =>
    `com.fasterxml.jackson.core.JsonParseException: ${message}\n at ${at(line, column)}`;
  const describe = (char: string) => `'${char}' (code ${char.codePointAt(0)})`;

  const skipSpace = () => {
    while (index < text.length) {
      const char = text[index];
      if (char === "\n") {
        line += 1;
        lineStart = index + 1;
      } else if (char !== " " && char !== "\t" && char !== "\r") return;
      index += 1;
    }
  };
  const endOfInput = () => {
    const open = stack.at(-1);
    if (!open) return fail("No content to map due to end-of-input", 1);
    return fail(
      `Unexpected end-of-input: expected close marker for ${open.kind} (start marker at ${at(open.line, open.column)})`,
      index - lineStart + 1,
    );
  };

  /** Reads one scalar or opens a container; returns an error message or undefined. */
  const value = (): string | undefined => {
    skipSpace();
    if (index >= text.length) return endOfInput();
    const char = text[index]!;
    if (char === "{" || char === "[") {
      stack.push({
        kind: char === "{" ? "Object" : "Array",
        line,
        column: index - lineStart + 1,
        entries: 0,
      });
      index += 1;
      return undefined;
    }
    if (char === '"') return string();
    if (char === "-" || (char >= "0" && char <= "9")) {
      const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
      if (!match) return fail(`Unexpected character (${describe(char)}): expected digit`);
      index += match[0].length;
      return undefined;
    }
    const word = /^[A-Za-z0-9_$]+/.exec(text.slice(index, index + 256))?.[0];
    if (word === "true" || word === "false" || word === "null") {
      index += word.length;
      return undefined;
    }
    if (word)
      return fail(`Unrecognized token '${word}': ${EXPECTED_VALUE}`, index - lineStart + 1 + word.length);
    return fail(`Unexpected character (${describe(char)}): expected a value`);
  };

  const string = (): string | undefined => {
    index += 1;
    while (index < text.length) {
      const char = text[index]!;
      if (char === '"') {
        index += 1;
        return undefined;
      }
      if (char === "\\") index += 1;
      else if (char < " ") {
        return fail(
          `Illegal unquoted character (${describe(char)}): has to be escaped using backslash to be included in string value`,
        );
      }
      index += 1;
    }
    return fail(
      "Unexpected end-of-input: was expecting closing quote for a string value",
      index - lineStart + 1,
    );
  };

  let error = value();
  while (error === undefined) {
    const open = stack.at(-1);
    skipSpace();
    if (!open) {
      if (index >= text.length) return undefined;
      return fail(`Unexpected character (${describe(text[index]!)}): expected end-of-input`);
    }
    if (index >= text.length) return endOfInput();
    const char = text[index]!;
    if (char === (open.kind === "Object" ? "}" : "]")) {
      stack.pop();
      index += 1;
      continue;
    }
    if (open.entries > 0) {
      if (char !== ",") {
        return fail(
          `Unexpected character (${describe(char)}): was expecting comma to separate ${open.kind} entries`,
        );
      }
      index += 1;
      skipSpace();
    }
    open.entries += 1;
    if (open.kind === "Array") {
      error = value();
      continue;
    }
    if (index >= text.length) return endOfInput();
    if (text[index] !== '"') {
      return fail(
        `Unexpected character (${describe(text[index]!)}): was expecting double-quote to start field name`,
      );
    }
    error = string();
    if (error !== undefined) break;
    skipSpace();
    if (index >= text.length) return endOfInput();
    if (text[index] !== ":") {
      return fail(
        `Unexpected character (${describe(text[index]!)}): was expecting a colon to separate field name and value`,
      );
    }
    index += 1;
    error = value();
  }
  return error;
}
