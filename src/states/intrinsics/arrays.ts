import { jsonEquals } from "../paths.js";
import { arrayArgument, type IntrinsicFunction, integerArgument, intrinsicFailure } from "./signature.js";

/** States.Array, States.ArrayPartition, States.ArrayContains, States.ArrayRange, States.ArrayGetItem, States.ArrayLength, States.ArrayUnique. */

const MAX_RANGE_ITEMS = 1000;

export const arrayFunctions: Record<string, IntrinsicFunction> = {
  "States.Array": { arity: [0, Number.POSITIVE_INFINITY], apply: (args) => [...args] },

  "States.ArrayPartition": {
    arity: [2, 2],
    apply(args) {
      const name = "States.ArrayPartition";
      const items = arrayArgument(name, args, 0);
      const size = integerArgument(name, args, 1, { round: true });
      if (size <= 0) throw intrinsicFailure(name, `the chunk size must be greater than 0, but was ${size}`);
      const chunks: unknown[][] = [];
      for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
      return chunks;
    },
  },

  "States.ArrayContains": {
    arity: [2, 2],
    apply: (args) => arrayArgument("States.ArrayContains", args, 0).some((item) => jsonEquals(item, args[1])),
  },

  "States.ArrayRange": {
    arity: [3, 3],
    apply(args) {
      const name = "States.ArrayRange";
      const [first, last, step] = [0, 1, 2].map((i) => integerArgument(name, args, i, { round: false })) as [
        number,
        number,
        number,
      ];
      if (step === 0) throw intrinsicFailure(name, "the step must not be 0");
      const count = Math.max(0, Math.floor((last - first) / step) + 1);
      if (count > MAX_RANGE_ITEMS) {
        throw intrinsicFailure(
          name,
          `the range must not contain more than ${MAX_RANGE_ITEMS} items, but has ${count}`,
        );
      }
      return Array.from({ length: count }, (_, i) => first + i * step);
    },
  },

  "States.ArrayGetItem": {
    arity: [2, 2],
    apply(args) {
      const name = "States.ArrayGetItem";
      const items = arrayArgument(name, args, 0);
      const index = integerArgument(name, args, 1, { round: false });
      if (index < 0 || index >= items.length) {
        throw intrinsicFailure(
          name,
          `the index ${index} is out of bounds for an array of ${items.length} items`,
        );
      }
      return items[index];
    },
  },

  "States.ArrayLength": {
    arity: [1, 1],
    apply: (args) => arrayArgument("States.ArrayLength", args, 0).length,
  },

  "States.ArrayUnique": {
    arity: [1, 1],
    apply(args) {
      const unique: unknown[] = [];
      for (const item of arrayArgument("States.ArrayUnique", args, 0)) {
        if (!unique.some((seen) => jsonEquals(seen, item))) unique.push(item);
      }
      return unique;
    },
  },
};
