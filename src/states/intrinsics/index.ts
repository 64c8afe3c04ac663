import { runtimeError } from "../errors.js";
import { readPath } from "../paths.js";
import type { Scope } from "../scope.js";
import { arrayFunctions } from "./arrays.js";
import { formatFunctions } from "./format.js";
import { hashingFunctions } from "./hashing.js";
import { jsonFunctions } from "./json.js";
import { mathFunctions } from "./math.js";
import { type IntrinsicArgument, type IntrinsicCall, parseIntrinsicSyntax } from "./parser.js";
import type { IntrinsicFunction } from "./signature.js";
import { stringFunctions } from "./strings.js";

/**
 * Intrinsic functions of JSONPath-mode states (`"key.$": "States.Format('{}', $.name)"`), usable in
 * Parameters, ResultSelector, ItemSelector, Assign and Fail's ErrorPath/CausePath.
 */

const FUNCTIONS: Readonly<Record<string, IntrinsicFunction>> = {
  ...arrayFunctions,
  ...stringFunctions,
  ...jsonFunctions,
  ...mathFunctions,
  ...hashingFunctions,
  ...formatFunctions,
};

/** Whether a `.$` value is meant as a function call rather than a path. */
export const isIntrinsicCall = (text: string): boolean => /^\s*States\.[A-Za-z0-9]+\s*\(/.test(text);

function checkCall(call: IntrinsicCall, text: string): void {
  const fn = FUNCTIONS[call.name];
  if (!fn) throw runtimeError(`Invalid intrinsic function call '${text}': unknown function ${call.name}`);
  const [least, most] = fn.arity;
  if (call.args.length < least || call.args.length > most) {
    const expected =
      least === most
        ? `${least}`
        : most === Number.POSITIVE_INFINITY
          ? `at least ${least}`
          : `${least} to ${most}`;
    throw runtimeError(
      `Invalid intrinsic function call '${text}': ${call.name} takes ${expected} arguments, but ${call.args.length} were given`,
    );
  }
  for (const arg of call.args) if (arg.kind === "call") checkCall(arg, text);
}

const parsed = new Map<string, IntrinsicCall>();

/**
 * Parses and checks a call (syntax, function names, numbers of arguments); a definition validator
 * can use it to reject a field. Throws States.Runtime naming the call.
 */
export function parseIntrinsic(text: string): IntrinsicCall {
  const cached = parsed.get(text);
  if (cached) return cached;
  const call = parseIntrinsicSyntax(text);
  checkCall(call, text);
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(text, call);
  return call;
}

function evaluate(arg: IntrinsicArgument, scope: Scope, field: string): unknown {
  switch (arg.kind) {
    case "literal":
      return arg.value;
    case "path":
      return readPath(arg.path, scope, field);
    case "call": {
      const fn = FUNCTIONS[arg.name] as IntrinsicFunction;
      const values = arg.args.map((a) => evaluate(a, scope, field));
      const literals = arg.args.map((a) => (a.kind === "literal" ? a.raw : undefined));
      return fn.apply(values, literals);
    }
  }
}

/**
 * The value of a call in `field` (the key as written, e.g. `name.$`, which AWS names in its causes).
 * A path argument that matches nothing fails like any path in that field; a bad argument value
 * fails with States.IntrinsicFailure.
 */
export function evaluateIntrinsic(text: string, scope: Scope, field: string): unknown {
  return evaluate(parseIntrinsic(text), scope, field);
}
