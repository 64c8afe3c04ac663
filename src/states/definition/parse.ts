import { DIAGNOSTIC_CODES, type Diagnostic, errorAt } from "./diagnostics.js";

/**
 * Reading a definition. Definitions arrive as JSON text (the API) or already parsed (tests, the
 * pipeline's own files). Text that is not JSON gets AWS's INVALID_JSON_DESCRIPTION, whose wording
 * comes from Jackson, the JSON parser behind Step Functions: "Unrecognized token 'not': was expecting
 * (...)\n at [Source: (String)"not a definition"; line: 1, column: 4]", with that bracket as location.
 * JSON that is not an object is a schema error without a location.
 */

export type ParsedDefinition =
  | { ok: true; definition: Record<string, unknown> }
  | { ok: false; diagnostics: Diagnostic[] };

const NOT_AN_OBJECT = "Definition must be a valid JSON object";

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const parseDefinition = (definition: unknown): ParsedDefinition => {
  let value = definition;
  if (typeof definition === "string") {
    if (definition.trim() === "") return notAnObject();
    try {
      value = JSON.parse(definition);
    } catch (error) {
      return { ok: false, diagnostics: [jsonSyntaxDiagnostic(definition, error)] };
    }
  }
  return isPlainObject(value) ? { ok: true, definition: value } : notAnObject();
};

const notAnObject = (): ParsedDefinition => ({
  ok: false,
  diagnostics: [errorAt(DIAGNOSTIC_CODES.schemaValidationFailed, NOT_AN_OBJECT)],
});

/** Jackson quotes at most 500 characters of the source. */
const SOURCE_QUOTE_LIMIT = 500;

const jsonSyntaxDiagnostic = (text: string, parseError: unknown): Diagnostic => {
  const found = locateSyntaxError(text) ?? { message: String(parseError), end: 0 };
  const before = text.slice(0, found.end);
  const line = before.split("\n").length;
  const column = found.end - before.lastIndexOf("\n");
  const quoted =
    text.length > SOURCE_QUOTE_LIMIT
      ? `"${text.slice(0, SOURCE_QUOTE_LIMIT)}"[truncated ${text.length - SOURCE_QUOTE_LIMIT} chars]`
      : `"${text}"`;
  const location = `[Source: (String)${quoted}; line: ${line}, column: ${column}]`;
  return errorAt(DIAGNOSTIC_CODES.invalidJsonDescription, `${found.message}\n at ${location}`, location);
};

type Expect = "value" | "valueOrClose" | "key" | "keyOrClose" | "colon" | "commaOrClose" | "end";

const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD_CHARACTER = /[A-Za-z0-9_$]/;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t", "u"]);

const unexpected = (character: string, expectation: string) =>
  `Unexpected character ('${character}' (code ${character.codePointAt(0)})): ${expectation}`;

/**
 * The first JSON syntax error in `text` and the offset just after it (where Jackson reports it),
 * found with an explicit stack so deep nesting cannot overflow.
 */
const locateSyntaxError = (text: string): { message: string; end: number } | undefined => {
  const stack: Array<"Object" | "Array"> = [];
  let expect: Expect = "value";
  let i = 0;
  const afterValue = (): Expect => (stack.length === 0 ? "end" : "commaOrClose");
  const scanString = (): { message: string; end: number } | undefined => {
    for (i += 1; i < text.length; i += 1) {
      const character = text[i]!;
      if (character === '"') {
        i += 1;
        return undefined;
      }
      if (character === "\\") {
        const escaped = text[i + 1];
        if (escaped === undefined) break;
        if (!ESCAPES.has(escaped)) {
          return {
            message: `Unrecognized character escape '${escaped}' (code ${escaped.codePointAt(0)})`,
            end: i + 2,
          };
        }
        i += 1;
      } else if (character < " ") {
        return {
          message: `Illegal unquoted character ((CTRL-CHAR, code ${character.codePointAt(0)})): has to be escaped using backslash to be included in string value`,
          end: i + 1,
        };
      }
    }
    return {
      message: "Unexpected end-of-input: was expecting closing quote for a string value",
      end: text.length,
    };
  };

  for (;;) {
    while (i < text.length && WHITESPACE.has(text[i]!)) i += 1;
    if (i >= text.length) {
      if (expect === "end") return undefined;
      const open = stack.at(-1);
      return open === undefined
        ? { message: "No content to map due to end-of-input", end: i }
        : { message: `Unexpected end-of-input: expected close marker for ${open}`, end: i };
    }
    const character = text[i]!;
    switch (expect) {
      case "value":
      case "valueOrClose": {
        if (expect === "valueOrClose" && character === "]") {
          stack.pop();
          i += 1;
          expect = afterValue();
        } else if (character === "{" || character === "[") {
          stack.push(character === "{" ? "Object" : "Array");
          i += 1;
          expect = character === "{" ? "keyOrClose" : "valueOrClose";
        } else if (character === '"') {
          const error = scanString();
          if (error) return error;
          expect = afterValue();
        } else if (character === "-" || (character >= "0" && character <= "9")) {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(text)) return { message: unexpected(character, "expected a value"), end: i + 1 };
          i = NUMBER.lastIndex;
          expect = afterValue();
        } else if (WORD_CHARACTER.test(character)) {
          let end = i;
          while (end < text.length && WORD_CHARACTER.test(text[end]!)) end += 1;
          const word = text.slice(i, end);
          if (word !== "true" && word !== "false" && word !== "null") {
            return {
              message: `Unrecognized token '${word}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
              end,
            };
          }
          i = end;
          expect = afterValue();
        } else {
          return { message: unexpected(character, "expected a value"), end: i + 1 };
        }
        break;
      }
      case "key":
      case "keyOrClose": {
        if (expect === "keyOrClose" && character === "}") {
          stack.pop();
          i += 1;
          expect = afterValue();
        } else if (character === '"') {
          const error = scanString();
          if (error) return error;
          expect = "colon";
        } else {
          return {
            message: unexpected(character, "was expecting double-quote to start field name"),
            end: i + 1,
          };
        }
        break;
      }
      case "colon": {
        if (character !== ":") {
          return {
            message: unexpected(character, "was expecting a colon to separate field name and value"),
            end: i + 1,
          };
        }
        i += 1;
        expect = "value";
        break;
      }
      case "commaOrClose": {
        const open = stack.at(-1)!;
        if (character === ",") {
          i += 1;
          expect = open === "Object" ? "key" : "value";
        } else if ((character === "}" && open === "Object") || (character === "]" && open === "Array")) {
          stack.pop();
          i += 1;
          expect = afterValue();
        } else {
          return {
            message: unexpected(character, `was expecting comma to separate ${open} entries`),
            end: i + 1,
          };
        }
        break;
      }
      case "end":
        return { message: unexpected(character, "expected end-of-input"), end: i + 1 };
    }
  }
};
