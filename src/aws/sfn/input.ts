import { isPlainObject } from "../json-protocol.js";
import { serializationException, validationException } from "./protocol.js";

/**
 * Reading an operation's input against its shape. A member of the wrong JSON type makes the
 * request malformed (SerializationException, at once); a missing required member or a value
 * outside the model's constraints is a violation, and all violations are reported together as a
 * ValidationException worded as AWS words them:
 * `1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null`.
 * JSON `null` counts as absent; members the shape does not name are ignored, as AWS ignores them.
 */

export type WireInput = Record<string, unknown>;

interface Member<T, Required extends boolean> {
  readonly required: Required;
  /** The value, or undefined after recording why it violates a constraint. */
  read(value: unknown, path: string, violations: string[]): T | undefined;
}

type AnyMember = Member<unknown, boolean>;

export type Decoded<Shape extends Record<string, AnyMember>> = {
  [Name in keyof Shape]: Shape[Name] extends Member<infer T, true>
    ? T
    : Shape[Name] extends Member<infer T, false>
      ? T | undefined
      : never;
};

/** How Coral shows a value in a violation; sensitive members (definitions, inputs, causes) are redacted. */
const shown = (value: unknown, sensitive: boolean) =>
  `'${sensitive ? "*** Sensitive Data Redacted ***" : String(value)}'`;

const violation = (value: string, path: string, constraint: string) =>
  `Value ${value} at '${path}' failed to satisfy constraint: Member must ${constraint}`;

function wrongType(path: string, expected: string, value: unknown): never {
  const actual = Array.isArray(value) ? "array" : typeof value;
  throw serializationException(`Expected ${expected} for ${path}, got ${actual}.`);
}

interface StringConstraints<Values extends string> {
  min?: number;
  max?: number;
  /** The allowed values, in the order AWS lists them in its message. */
  enum?: readonly Values[];
  sensitive?: boolean;
}

function stringMember<Values extends string, Required extends boolean>(
  required: Required,
  constraints: StringConstraints<Values>,
): Member<Values, Required> {
  const sensitive = constraints.sensitive ?? false;
  return {
    required,
    read(value, path, violations) {
      if (typeof value !== "string") wrongType(path, "a string", value);
      const { min, max } = constraints;
      // AWS counts characters (code points), as Java does for the model's length constraints.
      const length = [...value].length;
      if (min !== undefined && length < min) {
        violations.push(
          violation(shown(value, sensitive), path, `have length greater than or equal to ${min}`),
        );
      } else if (max !== undefined && length > max) {
        violations.push(violation(shown(value, sensitive), path, `have length less than or equal to ${max}`));
      } else if (constraints.enum && !(constraints.enum as readonly string[]).includes(value)) {
        violations.push(
          violation(
            shown(value, sensitive),
            path,
            `satisfy enum value set: [${constraints.enum.join(", ")}]`,
          ),
        );
      } else {
        return value as Values;
      }
      return undefined;
    },
  };
}

export const string = <Values extends string = string>(constraints: StringConstraints<Values> = {}) =>
  stringMember(false, constraints);
export const requiredString = <Values extends string = string>(constraints: StringConstraints<Values> = {}) =>
  stringMember(true, constraints);

export const integer = (constraints: { min: number; max: number }): Member<number, false> => ({
  required: false,
  read(value, path, violations) {
    if (typeof value !== "number" || !Number.isSafeInteger(value)) wrongType(path, "an integer", value);
    if (value < constraints.min) {
      violations.push(
        violation(shown(value, false), path, `have value greater than or equal to ${constraints.min}`),
      );
    } else if (value > constraints.max) {
      violations.push(
        violation(shown(value, false), path, `have value less than or equal to ${constraints.max}`),
      );
    } else {
      return value;
    }
    return undefined;
  },
});

export const boolean = (): Member<boolean, false> => ({
  required: false,
  read(value, path) {
    if (typeof value !== "boolean") wrongType(path, "a boolean", value);
    return value;
  },
});

/** A structure Inflow accepts and does not act on (logging, tracing, encryption settings). */
export const structure = (): Member<WireInput, false> => ({
  required: false,
  read(value, path) {
    if (!isPlainObject(value)) wrongType(path, "a structure", value);
    return value;
  },
});

/**
 * A list of strings of `min` to `max` characters (tag keys). Coral checks list members as one
 * constraint on the list: `Value '[a, b]' at 'tagKeys' failed to satisfy constraint: Member must
 * satisfy constraint: [Member must have length less than or equal to 128, ...]`.
 */
export const requiredStringList = (constraints: { min: number; max: number }): Member<string[], true> => ({
  required: true,
  read(value, path, violations) {
    if (!Array.isArray(value)) wrongType(path, "a list", value);
    const items = value.map((item, index) => {
      if (typeof item !== "string") wrongType(`${path}.${index + 1}`, "a string", item);
      return item;
    });
    const fits = (item: string) => [...item].length >= constraints.min && [...item].length <= constraints.max;
    if (items.every(fits)) return items;
    violations.push(
      violation(
        `'[${items.join(", ")}]'`,
        path,
        `satisfy constraint: [Member must have length less than or equal to ${constraints.max}, Member must have length greater than or equal to ${constraints.min}]`,
      ),
    );
    return undefined;
  },
});

/**
 * A TagList, `[{key, value}]`, as the key-to-value map the engine keeps (a later entry with the
 * same key wins, as a later TagResource would).
 */
function tagListMember<Required extends boolean>(
  required: Required,
): Member<Record<string, string>, Required> {
  return {
    required,
    read(value, path, violations) {
      if (!Array.isArray(value)) wrongType(path, "a list", value);
      const entries: Array<[string, string]> = [];
      value.forEach((tag, index) => {
        const at = `${path}.${index + 1}`;
        if (!isPlainObject(tag)) wrongType(at, "a structure", tag);
        const key = optional(
          tag,
          "key",
          stringMember(false, { min: 1, max: 128 }),
          `${at}.member.key`,
          violations,
        );
        const text = optional(
          tag,
          "value",
          stringMember(false, { max: 256 }),
          `${at}.member.value`,
          violations,
        );
        if (key !== undefined) entries.push([key, text ?? ""]);
      });
      // fromEntries defines each key as data, so a key such as `__proto__` stays a tag.
      return Object.fromEntries(entries);
    },
  };
}

export const tagList = () => tagListMember(false);
export const requiredTagList = () => tagListMember(true);

function optional<T>(
  input: WireInput,
  name: string,
  member: Member<T, boolean>,
  path: string,
  violations: string[],
): T | undefined {
  const value = input[name];
  if (value === undefined || value === null) {
    if (member.required) violations.push(violation("null", path, "not be null"));
    return undefined;
  }
  return member.read(value, path, violations);
}

/** The input's members by `shape`, or the request's SerializationException or ValidationException. */
export function decode<Shape extends Record<string, AnyMember>>(
  input: WireInput,
  shape: Shape,
): Decoded<Shape> {
  const violations: string[] = [];
  const decoded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape)) {
    decoded[name] = optional(input, name, member, name, violations);
  }
  if (violations.length > 0) throw validationException(violations);
  return decoded as Decoded<Shape>;
}
