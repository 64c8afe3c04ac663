import { runtimeError, STATES_ERRORS, StatesError } from "./errors.js";
import type { Scope } from "./scope.js";

/**
 * JSONPath as AWS Step Functions evaluates it in JSONPath-mode states.
 *
 * AWS runs Jayway JsonPath, and its answers follow Jayway's model: a *definite* path (only names and
 * single indexes) yields one value or fails with Jayway's message ("No results for path: $['a']"); an
 * *indefinite* one (wildcard, slice, index or name union, filter, descent) yields a list, empty when
 * nothing matches, and never fails; a filter only considers objects; a union of names as the last step
 * merges into an object. We evaluate it ourselves instead of using jsonpath-plus because that library
 * always returns lists, has no notion of a definite path (so no AWS errors), and runs filters as
 * JavaScript.
 *
 * Roots: `$` is the input, `$$` the context object, `$name` the workflow variable `name`.
 */

type Root =
  | { kind: "input" }
  | { kind: "context" }
  | { kind: "variable"; name: string }
  | { kind: "current" };

type Selector =
  | { kind: "name"; name: string }
  | { kind: "names"; names: string[] }
  | { kind: "index"; index: number }
  | { kind: "indexes"; indexes: number[] }
  | { kind: "slice"; start: number | undefined; end: number | undefined }
  | { kind: "wildcard" }
  | { kind: "descent"; then: Selector }
  | { kind: "filter"; expression: Expression }
  | { kind: "function"; name: string };

type Operand =
  | { kind: "path"; path: JsonPath }
  | { kind: "literal"; value: unknown }
  | { kind: "regex"; regex: RegExp };

type Expression =
  | { kind: "or" | "and"; left: Expression; right: Expression }
  | { kind: "not"; operand: Expression }
  | { kind: "exists"; operand: Operand }
  | { kind: "compare"; operator: string; left: Operand; right: Operand };

export interface JsonPath {
  readonly text: string;
  readonly root: Root;
  readonly selectors: readonly Selector[];
  /** Names and single indexes only: one value or an error, never a list. */
  readonly definite: boolean;
}

/** A path's value, or why there is none (Jayway's wording). */
export type Lookup = { found: true; value: unknown } | { found: false; reason: string };

// ---------------------------------------------------------------------------------------------
// Parsing

interface Cursor {
  readonly text: string;
  pos: number;
  /** Inside a filter, a path ends where the expression goes on (operator, blank, parenthesis). */
  readonly embedded: boolean;
}

const WORD_OPERATORS = ["subsetof", "anyof", "noneof", "contains", "empty", "size", "nin", "in"];
const SYMBOL_OPERATORS = ["==", "!=", "<=", ">=", "=~", "<", ">"];

function syntaxError(cursor: Cursor, reason: string): StatesError {
  return runtimeError(`Invalid path '${cursor.text}' : ${reason}`);
}

const compiled = new Map<string, JsonPath>();

/**
 * Parses a path once (they come from definitions, so the cache stays small). Throws a States.Runtime
 * error naming the path when the syntax is wrong; a definition validator can call it to check paths.
 */
export function compilePath(text: string): JsonPath {
  const cached = compiled.get(text);
  if (cached) return cached;
  const cursor: Cursor = { text, pos: 0, embedded: false };
  const path = parsePath(cursor);
  if (cursor.pos < text.length) throw syntaxError(cursor, `Unexpected character at index ${cursor.pos}`);
  if (compiled.size > 10_000) compiled.clear();
  compiled.set(text, path);
  return path;
}

function parsePath(cursor: Cursor): JsonPath {
  const start = cursor.pos;
  const { text } = cursor;
  let root: Root;
  if (text[cursor.pos] === "@") {
    root = { kind: "current" };
    cursor.pos++;
  } else if (text[cursor.pos] !== "$") {
    throw syntaxError(cursor, "Path must start with '$'");
  } else if (text[cursor.pos + 1] === "$") {
    root = { kind: "context" };
    cursor.pos += 2;
  } else {
    cursor.pos++;
    const name = /^[A-Za-z0-9_]+/.exec(text.slice(cursor.pos))?.[0];
    root = name ? { kind: "variable", name } : { kind: "input" };
    cursor.pos += name?.length ?? 0;
  }
  const selectors = parseSelectors(cursor);
  const functionAt = selectors.findIndex((s) => s.kind === "function");
  if (functionAt >= 0 && functionAt !== selectors.length - 1) {
    throw syntaxError(cursor, "A function must be the last element of a path");
  }
  selectors.forEach((s, i) => {
    if (s.kind === "names" && i !== selectors.length - 1) {
      throw syntaxError(
        cursor,
        `Multi properties can only be used as path leafs: ${describe(root, selectors.slice(0, i + 1))}`,
      );
    }
  });
  return {
    text: text.slice(start, cursor.pos),
    root,
    selectors,
    definite: selectors.every(
      (s) => s.kind === "name" || s.kind === "names" || s.kind === "index" || s.kind === "function",
    ),
  };
}

function parseSelectors(cursor: Cursor): Selector[] {
  const selectors: Selector[] = [];
  const { text } = cursor;
  while (cursor.pos < text.length) {
    const char = text[cursor.pos];
    if (char === "." && text[cursor.pos + 1] === ".") {
      cursor.pos += 2;
      const then = text[cursor.pos] === "[" ? parseBracket(cursor) : parseDotted(cursor);
      if (then.kind === "function") throw syntaxError(cursor, "A function cannot follow '..'");
      selectors.push({ kind: "descent", then });
    } else if (char === ".") {
      cursor.pos++;
      selectors.push(parseDotted(cursor));
    } else if (char === "[") {
      selectors.push(parseBracket(cursor));
    } else if (cursor.embedded) {
      break;
    } else {
      throw syntaxError(cursor, `Unexpected character '${char}' at index ${cursor.pos}`);
    }
  }
  return selectors;
}

function parseDotted(cursor: Cursor): Selector {
  const { text } = cursor;
  if (text[cursor.pos] === "*") {
    cursor.pos++;
    return { kind: "wildcard" };
  }
  const stop = cursor.embedded ? /[.[(\s)=!<>&|,~]/ : /[.[(\s]/;
  let end = cursor.pos;
  while (end < text.length && !stop.test(text[end] as string)) end++;
  const name = text.slice(cursor.pos, end);
  if (!name) throw syntaxError(cursor, "Path must not end with a '.' or '..'");
  cursor.pos = end;
  if (text.startsWith("()", end)) {
    cursor.pos += 2;
    return { kind: "function", name };
  }
  if (text[end] === "(" || (!cursor.embedded && /\s/.test(text[end] ?? ""))) {
    throw syntaxError(cursor, `Unexpected character '${text[end]}' at index ${end}`);
  }
  return { kind: "name", name };
}

function skipBlanks(cursor: Cursor): void {
  while (/\s/.test(cursor.text[cursor.pos] ?? "")) cursor.pos++;
}

function expect(cursor: Cursor, token: string): void {
  skipBlanks(cursor);
  if (!cursor.text.startsWith(token, cursor.pos)) {
    throw syntaxError(cursor, `Expected '${token}' at index ${cursor.pos}`);
  }
  cursor.pos += token.length;
}

function parseBracket(cursor: Cursor): Selector {
  cursor.pos++; // '['
  skipBlanks(cursor);
  const { text } = cursor;
  const char = text[cursor.pos];
  let selector: Selector;
  if (char === "*") {
    cursor.pos++;
    selector = { kind: "wildcard" };
  } else if (char === "?") {
    cursor.pos++;
    expect(cursor, "(");
    const inner: Cursor = { text, pos: cursor.pos, embedded: true };
    const expression = parseOr(inner);
    cursor.pos = inner.pos;
    expect(cursor, ")");
    selector = { kind: "filter", expression };
  } else if (char === "'" || char === '"') {
    const names = [readQuoted(cursor)];
    skipBlanks(cursor);
    while (text[cursor.pos] === ",") {
      cursor.pos++;
      skipBlanks(cursor);
      names.push(readQuoted(cursor));
      skipBlanks(cursor);
    }
    selector = names.length === 1 ? { kind: "name", name: names[0] as string } : { kind: "names", names };
  } else {
    const end = text.indexOf("]", cursor.pos);
    if (end < 0) throw syntaxError(cursor, "Unclosed '['");
    selector = parseNumeric(cursor, text.slice(cursor.pos, end).trim());
    cursor.pos = end;
  }
  expect(cursor, "]");
  return selector;
}

function parseNumeric(cursor: Cursor, body: string): Selector {
  const integer = (s: string): number => {
    if (!/^-?\d+$/.test(s.trim())) throw syntaxError(cursor, `Invalid array index '${s.trim()}'`);
    return Number(s.trim());
  };
  if (body.includes(":")) {
    const parts = body.split(":");
    if (parts.length !== 2) throw syntaxError(cursor, `Invalid array slice '${body}'`);
    const [start, end] = parts.map((p) => (p.trim() === "" ? undefined : integer(p)));
    return { kind: "slice", start, end };
  }
  const indexes = body.split(",").map(integer);
  return indexes.length === 1 ? { kind: "index", index: indexes[0] as number } : { kind: "indexes", indexes };
}

/**
 * A quoted name or string literal. A backslash escapes the quote that delimits it; any other
 * backslash stays as written (AWS reads `$['a\"b']` as the key `a\"b`).
 */
function readQuoted(cursor: Cursor): string {
  const { text } = cursor;
  const quote = text[cursor.pos];
  if (quote !== "'" && quote !== '"')
    throw syntaxError(cursor, `Expected a quoted name at index ${cursor.pos}`);
  let value = "";
  for (let i = cursor.pos + 1; i < text.length; i++) {
    const char = text[i] as string;
    if (char === "\\" && text[i + 1] === quote) {
      value += quote;
      i++;
    } else if (char === quote) {
      cursor.pos = i + 1;
      return value;
    } else {
      value += char;
    }
  }
  throw syntaxError(cursor, "Unterminated quoted name");
}

function parseOr(cursor: Cursor): Expression {
  let left = parseAnd(cursor);
  for (skipBlanks(cursor); cursor.text.startsWith("||", cursor.pos); skipBlanks(cursor)) {
    cursor.pos += 2;
    left = { kind: "or", left, right: parseAnd(cursor) };
  }
  return left;
}

function parseAnd(cursor: Cursor): Expression {
  let left = parseUnary(cursor);
  for (skipBlanks(cursor); cursor.text.startsWith("&&", cursor.pos); skipBlanks(cursor)) {
    cursor.pos += 2;
    left = { kind: "and", left, right: parseUnary(cursor) };
  }
  return left;
}

function parseUnary(cursor: Cursor): Expression {
  skipBlanks(cursor);
  const { text } = cursor;
  if (text[cursor.pos] === "!" && text[cursor.pos + 1] !== "=") {
    cursor.pos++;
    return { kind: "not", operand: parseUnary(cursor) };
  }
  if (text[cursor.pos] === "(") {
    cursor.pos++;
    const inner = parseOr(cursor);
    expect(cursor, ")");
    return inner;
  }
  const left = parseOperand(cursor);
  skipBlanks(cursor);
  const rest = text.slice(cursor.pos);
  const operator =
    SYMBOL_OPERATORS.find((op) => rest.startsWith(op)) ??
    WORD_OPERATORS.find((op) => new RegExp(`^${op}(?![A-Za-z])`).test(rest));
  if (!operator) return { kind: "exists", operand: left };
  cursor.pos += operator.length;
  return { kind: "compare", operator, left, right: parseOperand(cursor) };
}

function parseOperand(cursor: Cursor): Operand {
  skipBlanks(cursor);
  const { text } = cursor;
  const char = text[cursor.pos];
  if (char === "@" || char === "$") return { kind: "path", path: parsePath(cursor) };
  if (char === "'" || char === '"') return { kind: "literal", value: readQuoted(cursor) };
  if (char === "/") {
    const match = /^\/((?:\\.|[^/\\])*)\/([a-z]*)/.exec(text.slice(cursor.pos));
    if (!match) throw syntaxError(cursor, `Unterminated regular expression at index ${cursor.pos}`);
    cursor.pos += match[0].length;
    // Jayway matches the whole string (Java's Matcher.matches), so anchor the pattern.
    return { kind: "regex", regex: new RegExp(`^(?:${match[1]})$`, match[2]) };
  }
  if (char === "[" || char === "{") return { kind: "literal", value: readJsonLiteral(cursor) };
  const word = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(cursor.pos))?.[0];
  if (!word) throw syntaxError(cursor, `Unexpected character '${char ?? ""}' at index ${cursor.pos}`);
  cursor.pos += word.length;
  return { kind: "literal", value: JSON.parse(word) };
}

/** An array or object literal in a filter; single-quoted strings are accepted as in Jayway. */
function readJsonLiteral(cursor: Cursor): unknown {
  const { text } = cursor;
  let depth = 0;
  let json = "";
  for (let i = cursor.pos; i < text.length; i++) {
    const char = text[i] as string;
    if (char === "'" || char === '"') {
      const probe: Cursor = { text, pos: i, embedded: true };
      json += JSON.stringify(readQuoted(probe));
      i = probe.pos - 1;
      continue;
    }
    json += char;
    if (char === "[" || char === "{") depth++;
    if (char === "]" || char === "}") depth--;
    if (depth === 0) {
      cursor.pos = i + 1;
      try {
        return JSON.parse(json);
      } catch {
        throw syntaxError(
          cursor,
          `Invalid JSON literal '${text.slice(cursor.pos - json.length, cursor.pos)}'`,
        );
      }
    }
  }
  throw syntaxError(cursor, "Unterminated JSON literal");
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const hasOwn = (value: Record<string, unknown>, key: string): boolean => Object.hasOwn(value, key);

/** Deep JSON equality: numbers by value, objects regardless of key order. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasOwn(b, k) && jsonEquals(a[k], b[k]));
  }
  return false;
}

/** Jayway's rendering of a path in its messages: `$['a'][0]`. */
function describe(root: Root, selectors: readonly Selector[]): string {
  const prefix = root.kind === "context" ? "$$" : root.kind === "variable" ? `$${root.name}` : "$";
  return prefix + selectors.map(fragment).join("");
}

function fragment(selector: Selector): string {
  switch (selector.kind) {
    case "name":
      return `['${selector.name}']`;
    case "names":
      return `[${selector.names.map((n) => `'${n}'`).join(", ")}]`;
    case "index":
      return `[${selector.index}]`;
    case "indexes":
      return `[${selector.indexes.join(",")}]`;
    case "slice":
      return `[${selector.start ?? ""}:${selector.end ?? ""}]`;
    case "wildcard":
      return "[*]";
    case "descent":
      return `..${fragment(selector.then)}`;
    case "filter":
      return "[?]";
    case "function":
      return `.${selector.name}()`;
  }
}

/**
 * The Java class Jayway names when a property is read from a non-object. AWS's provider is Jayway's
 * default (json-smart), whose parsed values are these classes.
 */
function javaClassOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "net.minidev.json.JSONArray";
  if (typeof value === "string") return "java.lang.String";
  if (typeof value === "boolean") return "java.lang.Boolean";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return "java.lang.Double";
    return Math.abs(value) <= 2 ** 31 - 1 ? "java.lang.Integer" : "java.lang.Long";
  }
  return "net.minidev.json.JSONObject";
}

function definiteLookup(path: JsonPath, data: unknown): Lookup {
  const full = describe(path.root, path.selectors);
  let current = data;
  let at = describe(path.root, []);
  const last = path.selectors.length - 1;
  for (const [i, selector] of path.selectors.entries()) {
    if (selector.kind === "function") return applyFunction(selector.name, current, full);
    if (selector.kind === "name" || selector.kind === "names") {
      if (!isObject(current)) {
        return {
          found: false,
          reason:
            `Expected to find an object with property ${fragment(selector)} in path ${at} but found '${javaClassOf(current)}'. ` +
            "This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.",
        };
      }
      if (selector.kind === "names") {
        const source = current;
        return {
          found: true,
          value: Object.fromEntries(
            selector.names.filter((n) => hasOwn(source, n)).map((n) => [n, source[n]]),
          ),
        };
      }
      if (!hasOwn(current, selector.name)) {
        return {
          found: false,
          reason:
            i === last
              ? `No results for path: ${full}`
              : `Missing property in path ${at}${fragment(selector)}`,
        };
      }
      current = current[selector.name];
    } else if (selector.kind === "index") {
      if (current === null) return { found: false, reason: `The path ${at} is null` };
      if (!Array.isArray(current)) {
        return {
          found: false,
          reason: `Filter: ${fragment(selector)} can only be applied to arrays. Current context is: ${JSON.stringify(current)}`,
        };
      }
      const index = selector.index < 0 ? current.length + selector.index : selector.index;
      if (index < 0 || index >= current.length)
        return { found: false, reason: `No results for path: ${full}` };
      current = current[index];
    }
    at += fragment(selector);
  }
  return { found: true, value: current };
}

function applyFunction(name: string, value: unknown, full: string): Lookup {
  // Only length() is known to work on AWS; others (sum() for one) fail there as "not found".
  if (name === "length" && Array.isArray(value)) return { found: true, value: value.length };
  if (name === "length" && isObject(value)) return { found: true, value: Object.keys(value).length };
  return { found: false, reason: `No results for path: ${full}` };
}

function sliceOf(items: unknown[], start: number | undefined, end: number | undefined): unknown[] {
  const from = start === undefined ? 0 : start < 0 ? Math.max(0, items.length + start) : start;
  const to = end === undefined ? items.length : end < 0 ? items.length + end : end;
  return items.slice(from, to);
}

function descendantsAndSelf(value: unknown): unknown[] {
  const all: unknown[] = [value];
  const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  for (const child of children) all.push(...descendantsAndSelf(child));
  return all;
}

/** Every match of one step from one node, ignoring what is missing (indefinite semantics). */
function select(selector: Selector, node: unknown, scope: Scope | undefined): unknown[] {
  switch (selector.kind) {
    case "name":
      return isObject(node) && hasOwn(node, selector.name) ? [node[selector.name]] : [];
    case "names":
      return isObject(node)
        ? [Object.fromEntries(selector.names.filter((n) => hasOwn(node, n)).map((n) => [n, node[n]]))]
        : [];
    case "index": {
      if (!Array.isArray(node)) return [];
      const index = selector.index < 0 ? node.length + selector.index : selector.index;
      return index >= 0 && index < node.length ? [node[index]] : [];
    }
    case "indexes":
      return Array.isArray(node)
        ? selector.indexes.flatMap((i) => select({ kind: "index", index: i }, node, scope))
        : [];
    case "slice":
      return Array.isArray(node) ? sliceOf(node, selector.start, selector.end) : [];
    case "wildcard":
      return Array.isArray(node) ? node : isObject(node) ? Object.values(node) : [];
    case "descent":
      return descendantsAndSelf(node).flatMap((n) => select(selector.then, n, scope));
    case "filter": {
      // AWS: "@ ... does not match scalar values. It only matches objects."
      const candidates = Array.isArray(node) ? node.filter(isObject) : isObject(node) ? [node] : [];
      return candidates.filter((candidate) => test(selector.expression, candidate, scope));
    }
    case "function":
      return [];
  }
}

/** Evaluates a compiled path against `data`; `scope` lets filters refer to `$`, `$$` and variables. */
function evaluatePath(path: JsonPath, data: unknown, scope: Scope | undefined): Lookup {
  if (path.definite) return definiteLookup(path, data);
  const fn = path.selectors.at(-1);
  const steps = fn?.kind === "function" ? path.selectors.slice(0, -1) : path.selectors;
  let nodes: unknown[] = [data];
  for (const selector of steps) nodes = nodes.flatMap((node) => select(selector, node, scope));
  return fn?.kind === "function"
    ? applyFunction(fn.name, nodes, describe(path.root, path.selectors))
    : { found: true, value: nodes };
}

/** The value of an operand inside a filter; `undefined` when a path matches nothing. */
function operandValue(operand: Operand, current: unknown, scope: Scope | undefined): unknown {
  if (operand.kind === "literal") return operand.value;
  if (operand.kind === "regex") return operand.regex;
  const { path } = operand;
  const data = path.root.kind === "current" ? current : scope ? rootData(path, scope) : undefined;
  const result = evaluatePath(path, data, scope);
  return result.found ? result.value : undefined;
}

function test(expression: Expression, current: unknown, scope: Scope | undefined): boolean {
  switch (expression.kind) {
    case "or":
      return test(expression.left, current, scope) || test(expression.right, current, scope);
    case "and":
      return test(expression.left, current, scope) && test(expression.right, current, scope);
    case "not":
      return !test(expression.operand, current, scope);
    case "exists": {
      const value = operandValue(expression.operand, current, scope);
      return expression.operand.kind === "literal" ? value === true : value !== undefined;
    }
    case "compare":
      return compare(
        expression.operator,
        operandValue(expression.left, current, scope),
        operandValue(expression.right, current, scope),
      );
  }
}

function compare(operator: string, left: unknown, right: unknown): boolean {
  if (left === undefined || right === undefined) return false;
  const ordered =
    (typeof left === "number" && typeof right === "number") ||
    (typeof left === "string" && typeof right === "string");
  const contains = (list: unknown, item: unknown) =>
    Array.isArray(list) && list.some((x) => jsonEquals(x, item));
  const sized =
    typeof left === "string" || Array.isArray(left) ? (left as string | unknown[]).length : undefined;
  switch (operator) {
    case "==":
      return jsonEquals(left, right);
    case "!=":
      return !jsonEquals(left, right);
    case "<":
      return ordered && (left as number) < (right as number);
    case "<=":
      return ordered && (left as number) <= (right as number);
    case ">":
      return ordered && (left as number) > (right as number);
    case ">=":
      return ordered && (left as number) >= (right as number);
    case "=~":
      return typeof left === "string" && right instanceof RegExp && right.test(left);
    case "in":
      return contains(right, left);
    case "nin":
      return Array.isArray(right) && !contains(right, left);
    case "contains":
      return typeof left === "string"
        ? typeof right === "string" && left.includes(right)
        : contains(left, right);
    case "subsetof":
      return Array.isArray(left) && Array.isArray(right) && left.every((x) => contains(right, x));
    case "anyof":
      return Array.isArray(left) && Array.isArray(right) && left.some((x) => contains(right, x));
    case "noneof":
      return Array.isArray(left) && Array.isArray(right) && !left.some((x) => contains(right, x));
    case "size":
      return sized !== undefined && sized === right;
    case "empty":
      return sized !== undefined && (sized === 0) === right;
    default:
      return false;
  }
}

function rootData(path: JsonPath, scope: Scope): unknown {
  switch (path.root.kind) {
    case "context":
      return scope.context;
    case "variable":
      return scope.variables[path.root.name];
    default:
      return scope.input;
  }
}

/**
 * Evaluates a path against the scope. Filters inside it may refer to `$` (the input) as well as `@`.
 * A variable that is not defined has no value, like a missing property.
 */
export function lookupPath(text: string, scope: Scope): Lookup {
  const path = compilePath(text);
  if (path.root.kind === "variable" && !hasOwn(scope.variables, path.root.name)) {
    return { found: false, reason: `No results for path: ${describe(path.root, path.selectors)}` };
  }
  return evaluatePath(path, rootData(path, scope), scope);
}

/** AWS prints JSON compactly inside causes. */
const printed = (value: unknown): string => JSON.stringify(value) ?? "null";

/**
 * The value of a path (`$...`, `$$...`, `$var...`) in a `.$` field or a `...Path` field.
 * A definite path that matches nothing fails the way AWS reports it for Parameters, ErrorPath and
 * the like: States.Runtime "The JSONPath '$.x' specified for the field 'f' could not be found in the
 * input '{...}'".
 */
export function readPath(path: string, scope: Scope, field: string): unknown {
  const result = lookupPath(path, scope);
  if (result.found) return result.value;
  const searched = path.startsWith("$$") ? scope.context : scope.input;
  throw runtimeError(
    `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${printed(searched)}'`,
  );
}

/** InputPath/OutputPath failures carry Jayway's own message: "Invalid path '$.x' : No results for path: $['x']". */
function filterPath(value: unknown, path: string | null | undefined, scope: Scope): unknown {
  if (path === undefined) return value;
  if (path === null) return {};
  const result = lookupPath(path, { ...scope, input: value });
  if (result.found) return result.value;
  throw runtimeError(`Invalid path '${path}' : ${result.reason}`);
}

/** InputPath: undefined keeps the input, null makes it `{}`. */
export const applyInputPath = (input: unknown, path: string | null | undefined, scope: Scope): unknown =>
  filterPath(input, path, scope);

/** OutputPath: undefined keeps the output, null makes it `{}`. */
export const applyOutputPath = (output: unknown, path: string | null | undefined, scope: Scope): unknown =>
  filterPath(output, path, scope);

/**
 * ResultPath: undefined (or `$`) makes the result the output, null keeps the input and drops the
 * result, `$.a.b` puts the result into a copy of the input, creating missing objects on the way,
 * and `$.list[1]` replaces an existing array element. A path that cannot be applied (the input or a
 * step on the way is not an object, an index is out of range) fails with
 * States.ResultPathMatchFailure "Unable to apply ReferencePath $.a.b to input \"...\"".
 */
export function applyResultPath(
  input: unknown,
  resultPath: string | null | undefined,
  result: unknown,
): unknown {
  if (resultPath === undefined) return result;
  if (resultPath === null) return input;
  const path = compilePath(resultPath);
  const reference = path.selectors.every((s) => s.kind === "name" || s.kind === "index");
  if (path.root.kind !== "input" || !reference) {
    throw runtimeError(`Invalid path '${resultPath}' : ResultPath must be a reference path`);
  }
  const placed = placeAt(input, path.selectors, result);
  if (placed.found) return placed.value;
  throw new StatesError(
    STATES_ERRORS.ResultPathMatchFailure,
    `Unable to apply ReferencePath ${resultPath} to input ${printed(input)}`,
  );
}

/** A copy of `target` with `value` at `steps`; only the containers on the way are copied. */
function placeAt(target: unknown, steps: readonly Selector[], value: unknown): Lookup {
  const [step, ...rest] = steps;
  if (!step) return { found: true, value };
  if (step.kind === "name") {
    if (!isObject(target)) return { found: false, reason: "not an object" };
    const child = hasOwn(target, step.name) ? target[step.name] : rest.length > 0 ? {} : undefined;
    const placed = placeAt(child, rest, value);
    return placed.found ? { found: true, value: { ...target, [step.name]: placed.value } } : placed;
  }
  if (step.kind === "index" && Array.isArray(target)) {
    const index = step.index < 0 ? target.length + step.index : step.index;
    if (index < 0 || index >= target.length) return { found: false, reason: "index out of range" };
    const placed = placeAt(target[index], rest, value);
    if (!placed.found) return placed;
    const copy = [...target];
    copy[index] = placed.value;
    return { found: true, value: copy };
  }
  return { found: false, reason: "not an array" };
}
