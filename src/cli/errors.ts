import { MigrationError, StoreError } from "../store/errors.js";

/** A failure the user can fix; printed as its message alone. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/** Prints what went wrong, without a stack trace, and ends the process with exit code 1. */
export function exitWithError(error: unknown): never {
  const expected =
    error instanceof CliError || error instanceof StoreError || error instanceof MigrationError;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`inflow: ${expected ? message : `unexpected error: ${message}`}\n`);
  process.exit(1);
}
