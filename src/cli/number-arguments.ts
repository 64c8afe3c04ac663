import { InvalidArgumentError } from "commander";

/** A parser for an option that takes a whole number in [min, max]; its error says what was expected. */
export const wholeNumber =
  (what: string, min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected ${what}, at least ${min}.`
          : `expected ${what}, ${min} to ${max}.`,
      );
    }
    return n;
  };

/** A port to listen on: 0 picks any free one. */
export const parseListenPort = wholeNumber("a port number", 0, 65_535);
