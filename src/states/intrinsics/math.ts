import { type IntrinsicFunction, integerArgument, intrinsicFailure } from "./signature.js";

/** States.MathAdd, States.MathRandom. */

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function int32Argument(name: string, args: readonly unknown[], index: number): number {
  const value = integerArgument(name, args, index, { round: true });
  if (value < INT_MIN || value > INT_MAX) {
    throw intrinsicFailure(
      name,
      `the arguments must be between ${INT_MIN} and ${INT_MAX}, but one was ${value}`,
    );
  }
  return value;
}

/**
 * java.util.Random's generator. AWS runs on the JVM, and a seeded States.MathRandom must give the
 * same number every time; reproducing Java's sequence also gives AWS's number when AWS draws with
 * `nextInt(end - start) + start`, which we assume.
 */
function javaNextInt(seed: number, bound: number): number {
  const multiplier = 0x5deece66dn;
  const mask = (1n << 48n) - 1n;
  let state = (BigInt(seed) ^ multiplier) & mask;
  const next31 = (): number => {
    state = (state * multiplier + 0xbn) & mask;
    return Number(state >> 17n);
  };
  let bits = next31();
  if ((bound & (bound - 1)) === 0) return Number((BigInt(bound) * BigInt(bits)) >> 31n);
  let value = bits % bound;
  while (((bits - value + bound - 1) | 0) < 0) {
    bits = next31();
    value = bits % bound;
  }
  return value;
}

export const mathFunctions: Record<string, IntrinsicFunction> = {
  /** Non-integers are rounded first, as the recorded answers show: MathAdd(1.49, 1.5) is 3. */
  "States.MathAdd": {
    arity: [2, 2],
    apply: (args) => int32Argument("States.MathAdd", args, 0) + int32Argument("States.MathAdd", args, 1),
  },

  /** An integer from `start` (inclusive) to `end` (exclusive); an optional seed makes it repeatable. */
  "States.MathRandom": {
    arity: [2, 3],
    apply(args) {
      const name = "States.MathRandom";
      const start = int32Argument(name, args, 0);
      const end = int32Argument(name, args, 1);
      const bound = end - start;
      if (bound <= 0 || bound > INT_MAX) {
        throw intrinsicFailure(name, `the end (${end}) must be greater than the start (${start})`);
      }
      if (args.length < 3) return start + Math.floor(Math.random() * bound);
      return start + javaNextInt(int32Argument(name, args, 2), bound);
    },
  },
};
