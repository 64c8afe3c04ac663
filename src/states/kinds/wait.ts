import { runtimeError } from "../errors.js";
import { resolveJsonataValue } from "../jsonata.js";
import { applyInputPath, readPath } from "../paths.js";
import type { Outcome, StateEnv } from "./outcome.js";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function untilFromSeconds(seconds: unknown, now: number, field: string, shown: unknown): number {
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0) {
    throw runtimeError(
      `The ${field} parameter does not reference a valid integer value: ${JSON.stringify(shown ?? seconds)}`,
    );
  }
  return now + seconds * 1000;
}

function untilFromTimestamp(timestamp: unknown, field: string): number {
  if (typeof timestamp !== "string" || !RFC3339.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    throw runtimeError(
      `The ${field} parameter does not reference a valid ISO-8601 extended offset date-time format string: ${JSON.stringify(timestamp)}`,
    );
  }
  return Date.parse(timestamp);
}

/** Wait: until a number of seconds from now or a timestamp, given literally or by path. */
export async function enterWait({ state, language, scope, now }: StateEnv): Promise<Outcome> {
  if (language === "JSONata") {
    const until =
      state.Seconds !== undefined
        ? untilFromSeconds(
            await resolveJsonataValue(state.Seconds, scope, "Seconds"),
            now,
            "Seconds",
            undefined,
          )
        : untilFromTimestamp(await resolveJsonataValue(state.Timestamp, scope, "Timestamp"), "Timestamp");
    return { type: "wait", until, result: scope.input };
  }
  const input = applyInputPath(scope.input, state.InputPath as string | null | undefined, scope);
  const inner = { ...scope, input };
  let until: number;
  if (state.Seconds !== undefined) until = untilFromSeconds(state.Seconds, now, "Seconds", undefined);
  else if (state.Timestamp !== undefined) until = untilFromTimestamp(state.Timestamp, "Timestamp");
  else if (state.SecondsPath !== undefined) {
    const seconds = readPath(state.SecondsPath as string, inner, "SecondsPath");
    until = untilFromSeconds(seconds, now, "SecondsPath", seconds);
  } else
    until = untilFromTimestamp(
      readPath(state.TimestampPath as string, inner, "TimestampPath"),
      "TimestampPath",
    );
  return { type: "wait", until, result: input };
}
