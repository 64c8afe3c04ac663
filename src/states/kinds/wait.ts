import { queryEvaluationError, runtimeError } from "../errors.js";
import { resolveJsonataValue } from "../jsonata.js";
import { applyInputPath, readPath } from "../paths.js";
import type { Outcome, StateEnv } from "./outcome.js";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 timestamp strictly (every field in range), as AWS's Wait does; NaN if it isn't one. */
export function parseTimestamp(text: unknown): number {
  if (typeof text !== "string") return Number.NaN;
  const match = RFC3339.exec(text);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (
    month! < 1 ||
    month! > 12 ||
    day! < 1 ||
    day! > daysInMonth ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 59
  ) {
    return Number.NaN;
  }
  return Date.parse(text);
}

/** Wait: until a number of seconds from now or a timestamp, given literally, by path or by expression. */
export async function enterWait({ state, language, scope, now }: StateEnv): Promise<Outcome> {
  if (language === "JSONata") {
    if (state.Seconds !== undefined) {
      const seconds = await resolveJsonataValue(state.Seconds, scope, "Seconds");
      if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0) {
        throw queryEvaluationError(
          `The Seconds field cannot be parsed as a non-negative integer: ${JSON.stringify(seconds)}`,
        );
      }
      return { type: "wait", until: now + seconds * 1000, result: scope.input };
    }
    const timestamp = await resolveJsonataValue(state.Timestamp, scope, "Timestamp");
    const until = parseTimestamp(timestamp);
    if (Number.isNaN(until)) {
      throw queryEvaluationError(
        `The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${typeof timestamp === "string" ? timestamp : JSON.stringify(timestamp)}`,
      );
    }
    return { type: "wait", until, result: scope.input };
  }
  const input = applyInputPath(scope.input, state.InputPath as string | null | undefined, scope);
  const inner = { ...scope, input };
  let until: number;
  if (state.Seconds !== undefined) until = now + Number(state.Seconds) * 1000;
  else if (state.Timestamp !== undefined) until = parseTimestamp(state.Timestamp);
  else if (state.SecondsPath !== undefined) {
    const path = state.SecondsPath as string;
    const seconds = readPath(path, inner, "SecondsPath");
    if (typeof seconds !== "number" || !Number.isInteger(seconds)) {
      throw runtimeError(
        `The SecondsPath parameter cannot be parsed as a long value: ${path} == ${JSON.stringify(seconds)}`,
      );
    }
    if (seconds < 0)
      throw runtimeError(`The SecondsPath parameter references a negative value: ${path} == ${seconds}`);
    until = now + seconds * 1000;
  } else {
    const path = state.TimestampPath as string;
    const timestamp = readPath(path, inner, "TimestampPath");
    until = parseTimestamp(timestamp);
    if (Number.isNaN(until)) {
      throw runtimeError(
        `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${path} == ${typeof timestamp === "string" ? timestamp : JSON.stringify(timestamp)}`,
      );
    }
  }
  return { type: "wait", until, result: input };
}
