import { createHash, randomUUID } from "node:crypto";
import type jsonata from "jsonata";

/**
 * The functions Step Functions adds to JSONata ("JSONata functions provided by Step Functions"):
 * `$partition`, `$range`, `$hash`, `$random` (with an optional seed), `$uuid`, `$parse`. `$eval` is not
 * available there, and neither is it here. Integer arguments are rounded down, as AWS documents.
 *
 * Signatures use JSONata's notation, so JSONata itself rejects wrongly typed arguments (T0410).
 */
export interface StatesFunction {
  name: string;
  signature: string;
  /** JSONata checks the arguments against `signature` before the call. */
  implementation: Parameters<jsonata.Expression["registerFunction"]>[1];
}

/** Marks an array as a JSONata sequence, so a one-element result collapses to the element. */
const asSequence = <T>(items: T[]): T[] => Object.assign(items, { sequence: true });

const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** Bounds the arrays $range builds, like JSONata's own range operator; payloads are 256 KiB anyway. */
export const MAX_RANGE_LENGTH = 1_000_000;

const partition = (array: unknown[], size: number): unknown[][] => {
  const chunk = Math.floor(size);
  if (!(chunk > 0))
    throw new Error(`The chunk size argument of $partition must be a positive integer, got: ${size}`);
  const chunks: unknown[][] = [];
  for (let start = 0; start < array.length; start += chunk) chunks.push(array.slice(start, start + chunk));
  return chunks;
};

/** AWS's $range returns a sequence: `$range(1, 9, 9)` is `1`, not `[1]`. */
const range = (first: number, last: number, step: number): number[] => {
  const [from, to, delta] = [Math.floor(first), Math.floor(last), Math.floor(step)];
  if (delta === 0) throw new Error("The step argument of $range must not be zero");
  const length = Math.max(0, Math.floor((to - from) / delta) + 1);
  if (length > MAX_RANGE_LENGTH) {
    throw new Error(`The array $range would build has ${length} elements, more than ${MAX_RANGE_LENGTH}`);
  }
  return asSequence(Array.from({ length }, (_, index) => from + index * delta));
};

const hash = (data: string, algorithm: string): string => {
  const nodeAlgorithm = HASH_ALGORITHMS[algorithm];
  if (nodeAlgorithm === undefined) {
    throw new Error(
      `The hash algorithm '${algorithm}' is not supported; use one of ${Object.keys(HASH_ALGORITHMS).join(", ")}`,
    );
  }
  return createHash(nodeAlgorithm).update(data, "utf8").digest("hex");
};

/**
 * java.util.Random's first nextDouble() for a seed. AWS does not document its generator; the JVM's is
 * the likely one, and any fixed generator meets the documented promise (same seed, same number).
 */
export const seededRandom = (seed: number): number => {
  const multiplier = 0x5deece66dn;
  const mask = (1n << 48n) - 1n;
  let state = (BigInt.asIntN(64, BigInt(Math.floor(seed))) ^ multiplier) & mask;
  const next = (bits: number): number => {
    state = (state * multiplier + 0xbn) & mask;
    return Number(state >> BigInt(48 - bits));
  };
  return (next(26) * 2 ** 27 + next(27)) / 2 ** 53;
};

const random = (seed?: number): number => (seed === undefined ? Math.random() : seededRandom(seed));

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`The argument of $parse is not valid JSON: ${text}`);
  }
};

export const STATES_FUNCTIONS: readonly StatesFunction[] = [
  { name: "partition", signature: "<an:a>", implementation: partition },
  { name: "range", signature: "<nnn:a<n>>", implementation: range },
  { name: "hash", signature: "<ss:s>", implementation: hash },
  { name: "random", signature: "<n?:n>", implementation: random },
  { name: "uuid", signature: "<:s>", implementation: randomUUID },
  { name: "parse", signature: "<s:x>", implementation: parse },
];

/** Built-ins Step Functions removes: calling them fails as calling any non-function does (T1006). */
export const REMOVED_FUNCTIONS: readonly string[] = ["eval"];
