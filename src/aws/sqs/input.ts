import { missingParameter } from "../../queues/errors.js";
import type { MessageAttributes, MessageAttributeValue } from "../../queues/types.js";
import { isPlainObject } from "../json-protocol.js";
import { serializationException } from "./protocol.js";

/**
 * Reading request members off the decoded JSON: a missing required member is SQS's
 * MissingParameter, a member of the wrong JSON type a SerializationException. JSON `null` counts
 * as absent, as in AWS JSON. What the values mean is the queues' business, not checked here.
 */

export type WireInput = Record<string, unknown>;

function present(input: WireInput, member: string): unknown {
  const value = input[member];
  return value === null ? undefined : value;
}

function wrongType(path: string, expected: string, value: unknown): never {
  const actual = Array.isArray(value) ? "array" : typeof value;
  throw serializationException(`Expected ${expected} for ${path}, got ${actual}.`);
}

export function optionalString(input: WireInput, member: string, path = member): string | undefined {
  const value = present(input, member);
  if (value === undefined) return undefined;
  if (typeof value !== "string") wrongType(path, "a string", value);
  return value;
}

export function requiredString(input: WireInput, member: string, path = member): string {
  const value = optionalString(input, member, path);
  if (value === undefined) throw missingParameter(path);
  return value;
}

export function optionalInteger(input: WireInput, member: string, path = member): number | undefined {
  const value = present(input, member);
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) wrongType(path, "an integer", value);
  return value;
}

export function requiredInteger(input: WireInput, member: string, path = member): number {
  const value = optionalInteger(input, member, path);
  if (value === undefined) throw missingParameter(path);
  return value;
}

export function optionalStringList(input: WireInput, member: string): string[] | undefined {
  const value = present(input, member);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) wrongType(member, "a list", value);
  return value.map((item, index) => {
    if (typeof item !== "string") wrongType(`${member}.${index + 1}`, "a string", item);
    return item;
  });
}

export function requiredStringList(input: WireInput, member: string): string[] {
  const value = optionalStringList(input, member);
  if (value === undefined) throw missingParameter(member);
  return value;
}

export function optionalStringMap(input: WireInput, member: string): Record<string, string> | undefined {
  const value = present(input, member);
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) wrongType(member, "a map", value);
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") wrongType(`${member}.${key}`, "a string", item);
    map[key] = item;
  }
  return map;
}

export function requiredStringMap(input: WireInput, member: string): Record<string, string> {
  const value = optionalStringMap(input, member);
  if (value === undefined) throw missingParameter(member);
  return value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A MessageAttributes or MessageSystemAttributes map. A missing DataType is passed on empty so
 * the queues reject it with SQS's own wording; the list members SQS reserves are dropped.
 */
export function optionalMessageAttributes(
  input: WireInput,
  member: string,
  path = member,
): MessageAttributes | undefined {
  const value = present(input, member);
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) wrongType(path, "a map", value);
  const attributes: MessageAttributes = {};
  for (const [name, raw] of Object.entries(value)) {
    const at = `${path}.${name}`;
    if (!isPlainObject(raw)) wrongType(at, "a structure", raw);
    const attribute: MessageAttributeValue = {
      DataType: optionalString(raw, "DataType", `${at}.DataType`) ?? "",
    };
    const stringValue = optionalString(raw, "StringValue", `${at}.StringValue`);
    if (stringValue !== undefined) attribute.StringValue = stringValue;
    const binaryValue = optionalString(raw, "BinaryValue", `${at}.BinaryValue`);
    if (binaryValue !== undefined) {
      if (!BASE64.test(binaryValue)) throw serializationException(`${at}.BinaryValue is not valid base64.`);
      attribute.BinaryValue = binaryValue;
    }
    attributes[name] = attribute;
  }
  return attributes;
}

/** `Entries` of a batch call: a list of structures (how many is the queues' check). */
export function requiredEntries(input: WireInput): WireInput[] {
  const value = present(input, "Entries");
  if (value === undefined) throw missingParameter("Entries");
  if (!Array.isArray(value)) wrongType("Entries", "a list", value);
  return value.map((entry, index) => {
    if (!isPlainObject(entry)) wrongType(`Entries.${index + 1}`, "a structure", entry);
    return entry;
  });
}
