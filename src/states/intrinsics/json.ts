import {
  type IntrinsicFunction,
  intrinsicFailure,
  objectArgument,
  shown,
  stringArgument,
} from "./signature.js";

/** States.StringToJson, States.JsonToString, States.JsonMerge. */

export const jsonFunctions: Record<string, IntrinsicFunction> = {
  "States.StringToJson": {
    arity: [1, 1],
    apply(args) {
      const text = stringArgument("States.StringToJson", args, 0);
      // AWS answers null for an empty or blank string.
      if (text.trim() === "") return null;
      try {
        // Java reads "-0" as the integer 0; JSON.parse would keep a -0.
        return JSON.parse(text, (_key, value: unknown) => (Object.is(value, -0) ? 0 : value));
      } catch {
        throw intrinsicFailure("States.StringToJson", `the argument is not valid JSON: ${shown(text)}`);
      }
    },
  },

  "States.JsonToString": { arity: [1, 1], apply: (args) => JSON.stringify(args[0]) },

  /** Only a shallow merge exists: the third argument must be false. Keys of the second object win. */
  "States.JsonMerge": {
    arity: [3, 3],
    apply(args) {
      const name = "States.JsonMerge";
      const left = objectArgument(name, args, 0);
      const right = objectArgument(name, args, 1);
      if (args[2] !== false) {
        throw intrinsicFailure(
          name,
          `the third argument must be false (deep merge is not supported), but was ${shown(args[2])}`,
        );
      }
      return { ...left, ...right };
    },
  },
};
