import type { MessageAttributes } from "../../queues/types.js";

/**
 * ReceiveMessage returns only the attributes asked for. Message attributes: `All`, `.*` (and
 * `*`, which SQS also honours) select every one, `prefix.*` those whose name starts with
 * `prefix`, anything else the attribute of exactly that name. System attributes: `All` or names;
 * the deprecated `AttributeNames` and `MessageSystemAttributeNames` are one union.
 */

export function selectMessageAttributes(
  attributes: MessageAttributes,
  requested: readonly string[],
): MessageAttributes {
  if (requested.some((name) => name === "All" || name === ".*" || name === "*")) return attributes;
  const prefixes = requested.filter((name) => name.endsWith(".*")).map((name) => name.slice(0, -2));
  const exact = new Set(requested);
  const selected: MessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix))) selected[name] = value;
  }
  return selected;
}

export function selectSystemAttributes(
  attributes: Record<string, string>,
  requested: readonly string[],
): Record<string, string> {
  if (requested.includes("All")) return attributes;
  const selected: Record<string, string> = {};
  for (const name of requested) {
    const value = attributes[name];
    if (value !== undefined) selected[name] = value;
  }
  return selected;
}
