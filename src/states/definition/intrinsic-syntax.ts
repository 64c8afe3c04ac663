/**
 * Whether a string is a well-formed intrinsic function call, the check AWS makes when it accepts a
 * definition ("must be a valid JSONPath or a valid intrinsic function call"). This only recognises
 * the syntax; evaluating calls is the intrinsics module's business.
 *
 * call  := States.Name ( [arg {, arg}] )
 * arg   := 'string' | number | true | false | null | path | call
 * Inside a string only \' \{ \} and \\ are escapes (AWS: "'", "{", "}" and "\" must be escaped);
 * any other backslash, such as \" , makes the definition invalid.
 */

const FUNCTION_NAMES = new Set([
  "Format",
  "StringToJson",
  "JsonToString",
  "Array",
  "ArrayPartition",
  "ArrayContains",
  "ArrayRange",
  "ArrayGetItem",
  "ArrayLength",
  "ArrayUnique",
  "Base64Encode",
  "Base64Decode",
  "Hash",
  "JsonMerge",
  "MathRandom",
  "MathAdd",
  "StringSplit",
  "UUID",
]);

const STRING_ESCAPES = new Set(["'", "{", "}", "\\"]);
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NAME = /States\.([A-Za-z0-9]+)/y;
const LITERAL = /(?:true|false|null)(?=[\s,)])/y;

/** The end offset of what `pattern` matches at `start`, or -1. */
const matchAt = (pattern: RegExp, text: string, start: number): number => {
  pattern.lastIndex = start;
  return pattern.test(text) ? pattern.lastIndex : -1;
};

const skipSpaces = (text: string, start: number): number => {
  let i = start;
  while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i += 1;
  return i;
};

const scanString = (text: string, start: number): number => {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === "'") return i + 1;
    if (text[i] === "\\") {
      if (!STRING_ESCAPES.has(text[i + 1] ?? "")) return -1;
      i += 1;
    }
  }
  return -1;
};

/** A path argument runs to the next top-level comma or closing parenthesis. */
const scanPath = (text: string, start: number): number => {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i += 1) {
    const character = text[i]!;
    if (quote !== undefined) {
      if (character === "\\") i += 1;
      else if (character === quote) quote = undefined;
    } else if (character === "'" || character === '"') {
      quote = character;
    } else if (character === "[") {
      depth += 1;
    } else if (character === "]") {
      depth -= 1;
    } else if (depth === 0 && (character === "," || character === ")")) {
      return i;
    }
  }
  return -1;
};

const scanArgument = (text: string, start: number): number => {
  const character = text[start];
  if (character === "'") return scanString(text, start);
  if (character === "$") return scanPath(text, start);
  if (character === "S") return scanCall(text, start);
  const number = matchAt(NUMBER, text, start);
  return number >= 0 ? number : matchAt(LITERAL, text, start);
};

const scanCall = (text: string, start: number): number => {
  NAME.lastIndex = start;
  const name = NAME.exec(text);
  if (name === null || !FUNCTION_NAMES.has(name[1]!)) return -1;
  let i = skipSpaces(text, NAME.lastIndex);
  if (text[i] !== "(") return -1;
  i = skipSpaces(text, i + 1);
  if (text[i] === ")") return i + 1;
  for (;;) {
    const end = scanArgument(text, i);
    if (end < 0) return -1;
    i = skipSpaces(text, end);
    if (text[i] === ")") return i + 1;
    if (text[i] !== ",") return -1;
    i = skipSpaces(text, i + 1);
  }
};

export const isIntrinsicCall = (text: string): boolean => scanCall(text, 0) === text.length;
