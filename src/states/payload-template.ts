import { runtimeError } from "./errors.js";
import { evaluateIntrinsic, isIntrinsicCall } from "./intrinsics/index.js";
import { readPath } from "./paths.js";
import type { Scope } from "./scope.js";

/**
 * Payload templates of JSONPath-mode states: Parameters, ResultSelector, ItemSelector, Assign.
 * A key ending in `.$` takes the value of a path (`$...`, `$$...`, `$var...`) or of an intrinsic
 * function call, under the key without its `.$`; objects and arrays are walked; anything else is
 * copied as written.
 */

function jsonTypeName(value: unknown): string {
  if (value === null) return "NULL";
  if (Array.isArray(value)) return "ARRAY";
  return typeof value === "object"
    ? "OBJECT"
    : typeof value === "number"
      ? "NUMBER"
      : typeof value === "string"
        ? "STRING"
        : "BOOLEAN";
}

function dynamicValue(key: string, expression: unknown, scope: Scope, field: string): unknown {
  if (typeof expression !== "string") {
    // Definitions that passed validation never get here; the text is AWS's validation message.
    throw runtimeError(
      `The value for the field '${key}' must be a STRING that contains a JSONPath but was an ${jsonTypeName(expression)} in ${field}`,
    );
  }
  // AWS names the key as written ('value.$') when a path or a call in it fails.
  return isIntrinsicCall(expression)
    ? evaluateIntrinsic(expression, scope, key)
    : readPath(expression, scope, key);
}

/** `field` is the template's own field (Parameters, ResultSelector...), named by its errors. */
export function applyPayloadTemplate(template: unknown, scope: Scope, field: string): unknown {
  if (Array.isArray(template)) return template.map((item) => applyPayloadTemplate(item, scope, field));
  if (typeof template !== "object" || template === null) return template;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.length > 2 && key.endsWith(".$"))
      output[key.slice(0, -2)] = dynamicValue(key, value, scope, field);
    else output[key] = applyPayloadTemplate(value, scope, field);
  }
  return output;
}
