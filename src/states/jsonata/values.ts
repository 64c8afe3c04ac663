/**
 * JSON values as they leave a JSONata evaluation. JSONata hands back its own shapes (sequences,
 * lambdas, references into the bound input); a state's data must be plain, independent JSON.
 */

export type JsonType = "null" | "boolean" | "number" | "string" | "array" | "object";

/** The type names AWS prints in "Expected 'array', but was 'object'". */
export const jsonTypeOf = (value: unknown): JsonType => {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "string":
      return "string";
    default:
      return "object";
  }
};

const isJsonataFunction = (value: unknown): boolean =>
  typeof value === "function" ||
  (typeof value === "object" &&
    value !== null &&
    ((value as { _jsonata_lambda?: unknown })._jsonata_lambda === true ||
      (value as { _jsonata_function?: unknown })._jsonata_function === true));

/**
 * A deep, plain copy of a JSONata result, or `undefined` when it holds something JSON cannot carry
 * (a function anywhere, a non-finite number). Undefined members are dropped, as JSON.stringify would.
 */
export const toJsonValue = (value: unknown): { ok: true; value: unknown } | { ok: false } => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return { ok: true, value };
  if (typeof value === "number") return Number.isFinite(value) ? { ok: true, value } : { ok: false };
  if (isJsonataFunction(value) || typeof value !== "object") return { ok: false };
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (const item of value) {
      if (item === undefined) continue;
      const converted = toJsonValue(item);
      if (!converted.ok) return converted;
      copy.push(converted.value);
    }
    return { ok: true, value: copy };
  }
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    const converted = toJsonValue(member);
    if (!converted.ok) return converted;
    copy[key] = converted.value;
  }
  return { ok: true, value: copy };
};
