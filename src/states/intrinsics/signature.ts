import { STATES_ERRORS, StatesError } from "../errors.js";

/**
 * How an intrinsic function is declared and how it rejects its arguments. A function receives its
 * evaluated arguments and, for string literals, the text as written (only States.Format needs it).
 * Bad argument values fail with States.IntrinsicFailure, the error the States language names for
 * "the attempt to invoke an Intrinsic Function failed" (catchable, unlike States.Runtime).
 */
export interface IntrinsicFunction {
  /** Least and most number of arguments. */
  readonly arity: readonly [number, number];
  apply(args: readonly unknown[], literals: readonly (string | undefined)[]): unknown;
}

export const intrinsicFailure = (name: string, reason: string): StatesError =>
  new StatesError(STATES_ERRORS.IntrinsicFailure, `Invalid arguments in ${name}: ${reason}`);

const ordinals = ["first", "second", "third", "fourth"];
const ordinal = (index: number): string => ordinals[index] ?? `#${index + 1}`;

/** AWS prints argument values as JSON. */
export const shown = (value: unknown): string => JSON.stringify(value) ?? "null";

export function arrayArgument(name: string, args: readonly unknown[], index: number): unknown[] {
  const value = args[index];
  if (!Array.isArray(value)) {
    throw intrinsicFailure(name, `the ${ordinal(index)} argument must be an array, but was ${shown(value)}`);
  }
  return value;
}

export function stringArgument(name: string, args: readonly unknown[], index: number): string {
  const value = args[index];
  if (typeof value !== "string") {
    throw intrinsicFailure(name, `the ${ordinal(index)} argument must be a string, but was ${shown(value)}`);
  }
  return value;
}

export function objectArgument(
  name: string,
  args: readonly unknown[],
  index: number,
): Record<string, unknown> {
  const value = args[index];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw intrinsicFailure(
      name,
      `the ${ordinal(index)} argument must be a JSON object, but was ${shown(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * An integer argument. Where AWS documents that a non-integer is "rounded off to the nearest
 * integer", `round` does that the way Java's Math.round does (halves go up: -1.5 -> -1), which the
 * recorded States.MathAdd answers show.
 */
export function integerArgument(
  name: string,
  args: readonly unknown[],
  index: number,
  { round }: { round: boolean },
): number {
  const value = args[index];
  if (typeof value === "number" && Number.isFinite(value) && (round || Number.isInteger(value))) {
    return Math.round(value) + 0; // + 0 turns Math.round's -0 into 0
  }
  throw intrinsicFailure(name, `the ${ordinal(index)} argument must be an integer, but was ${shown(value)}`);
}

/** Inputs of the encoding and hashing functions are limited to 10,000 characters. */
export function limitedStringArgument(name: string, args: readonly unknown[], index: number): string {
  const value = stringArgument(name, args, index);
  const length = [...value].length;
  if (length > 10_000) {
    throw intrinsicFailure(
      name,
      `the ${ordinal(index)} argument must not exceed 10000 characters, but has ${length}`,
    );
  }
  return value;
}
