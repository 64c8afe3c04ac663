import { STATES_ERRORS } from "./errors.js";

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Output?: unknown;
  Assign?: Record<string, unknown>;
}

/** Errors that `States.ALL` does not reach: the execution cannot handle them. */
const TERMINAL = new Set<string>([STATES_ERRORS.Runtime, STATES_ERRORS.DataLimitExceeded]);

/** Whether an ErrorEquals list covers an error, with the wildcards of the ASL spec. */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  for (const name of errorEquals) {
    if (name === error) return true;
    // A missed heartbeat is a kind of timeout: States.Timeout catches it too.
    if (name === STATES_ERRORS.Timeout && error === STATES_ERRORS.HeartbeatTimeout) return true;
    if (name === STATES_ERRORS.ALL && !TERMINAL.has(error)) return true;
    if (name === STATES_ERRORS.TaskFailed && error !== STATES_ERRORS.Timeout && !TERMINAL.has(error))
      return true;
  }
  return false;
}

/**
 * The retry to make for an error, if any: the first Retrier whose ErrorEquals matches decides
 * (later ones are not consulted even when it is exhausted, per the spec). `attempts[i]` counts the
 * retries already made under Retrier i.
 */
export function planRetry(
  retriers: readonly Retrier[] | undefined,
  error: string,
  attempts: readonly number[],
  random: () => number = Math.random,
): { index: number; delayMillis: number } | undefined {
  const index = (retriers ?? []).findIndex((retrier) => errorMatches(retrier.ErrorEquals, error));
  if (index < 0) return undefined;
  const retrier = retriers![index]!;
  const made = attempts[index] ?? 0;
  if (made >= (retrier.MaxAttempts ?? 3)) return undefined;
  let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** made;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === "FULL") seconds = random() * seconds;
  return { index, delayMillis: Math.round(seconds * 1000) };
}

export function findCatcher(catchers: readonly Catcher[] | undefined, error: string): Catcher | undefined {
  return (catchers ?? []).find((catcher) => errorMatches(catcher.ErrorEquals, error));
}
