import { IngestError } from "./errors.js";

/** Tries again after 1 s, then 2 s, 4 s ..., never more than this apart. */
const FIRST_WAIT_MILLIS = 1_000;
const LONGEST_WAIT_MILLIS = 30_000;

/** The tries a source makes after a failure when its settings do not say. */
export const DEFAULT_RETRIES = 2;

/** A local file system's answers that stay the same however often they are asked. */
const LASTING_CODES = new Set(["ENOENT", "ENOTDIR", "EACCES", "EPERM"]);

/**
 * Whether trying again could help: a dropped connection, a timeout or a server's 5xx may pass; a
 * refused login, a missing secret, a file over its limit or an unsafe name will not (Inflow's own
 * refusals carry a status below 502), nor a drop folder that is missing or not readable.
 */
export const isRetryable = (error: unknown): boolean =>
  error instanceof IngestError
    ? error.status >= 502
    : !LASTING_CODES.has((error as NodeJS.ErrnoException)?.code ?? "");

/**
 * Runs `attempt` until it succeeds, it fails in a way trying again cannot help, or `retries` more
 * tries have failed; waits with exponential back-off (and a little jitter, so many sources failing
 * together do not retry in step) between tries.
 */
export async function withRetries<T>(
  retries: number,
  attempt: (tryNumber: number) => Promise<T>,
  options: { firstWaitMillis?: number } = {},
): Promise<T> {
  const firstWait = options.firstWaitMillis ?? FIRST_WAIT_MILLIS;
  for (let tryNumber = 0; ; tryNumber++) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      if (tryNumber >= retries || !isRetryable(error)) throw error;
      const wait = Math.min(firstWait * 2 ** tryNumber, LONGEST_WAIT_MILLIS) * (0.8 + Math.random() * 0.4);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
