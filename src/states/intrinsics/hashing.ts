import { createHash, randomUUID } from "node:crypto";
import {
  type IntrinsicFunction,
  intrinsicFailure,
  limitedStringArgument,
  stringArgument,
} from "./signature.js";

/** States.Hash, States.UUID. */

const ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

export const hashingFunctions: Record<string, IntrinsicFunction> = {
  /** The hex digest of a string of at most 10,000 characters. */
  "States.Hash": {
    arity: [2, 2],
    apply(args) {
      const data = limitedStringArgument("States.Hash", args, 0);
      const algorithm = stringArgument("States.Hash", args, 1);
      const nodeName = ALGORITHMS[algorithm];
      if (!nodeName) {
        throw intrinsicFailure(
          "States.Hash",
          `the algorithm must be one of ${Object.keys(ALGORITHMS).join(", ")}, but was '${algorithm}'`,
        );
      }
      return createHash(nodeName).update(data, "utf8").digest("hex");
    },
  },

  "States.UUID": { arity: [0, 0], apply: () => randomUUID() },
};
