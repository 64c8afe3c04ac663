import {
  type IntrinsicFunction,
  intrinsicFailure,
  limitedStringArgument,
  stringArgument,
} from "./signature.js";

/** States.StringSplit, States.Base64Encode, States.Base64Decode. */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const stringFunctions: Record<string, IntrinsicFunction> = {
  /**
   * Every character of the second argument is a delimiter and empty pieces are dropped (Java's
   * StringTokenizer): AWS splits ", , ," on "," into [" ", " "].
   */
  "States.StringSplit": {
    arity: [2, 2],
    apply(args) {
      const text = stringArgument("States.StringSplit", args, 0);
      const delimiters = new Set(stringArgument("States.StringSplit", args, 1));
      const pieces: string[] = [];
      let piece = "";
      for (const char of text) {
        if (!delimiters.has(char)) piece += char;
        else if (piece) {
          pieces.push(piece);
          piece = "";
        }
      }
      if (piece) pieces.push(piece);
      return pieces;
    },
  },

  "States.Base64Encode": {
    arity: [1, 1],
    apply: (args) =>
      Buffer.from(limitedStringArgument("States.Base64Encode", args, 0), "utf8").toString("base64"),
  },

  "States.Base64Decode": {
    arity: [1, 1],
    apply(args) {
      const encoded = limitedStringArgument("States.Base64Decode", args, 0);
      if (!BASE64.test(encoded))
        throw intrinsicFailure("States.Base64Decode", "the argument is not valid base64");
      return Buffer.from(encoded, "base64").toString("utf8");
    },
  },
};
