import { Cron } from "croner";
import { invalidParameter } from "./errors.js";

/**
 * EventBridge Scheduler's recurring expressions: `rate(VALUE UNIT)` and
 * `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)` read in a time zone.
 *
 * Cron parsing and time-zone arithmetic come from croner: it is dependency-free, maintained, reads
 * the Quartz-style fields EventBridge uses (`?`, `L`, `W`, `#`, a year field, SUN=1 weekdays) and
 * computes the next run in an IANA zone across daylight-saving changes, which is the part most
 * worth not writing again.
 */
export type ScheduleExpression = { kind: "rate"; everyMillis: number } | { kind: "cron"; cron: Cron };

const UNITS: Record<string, number> = {
  // Seconds are Inflow's own (EventBridge's shortest rate is a minute): tests and demos need them.
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};
const RATE = /^rate\((\d{1,9}) ([a-z]+)\)$/;
const CRON = /^cron\((.*)\)$/;
const MAX_EXPRESSION_LENGTH = 256;

/** Whether `timezone` names an IANA time zone this Node.js knows. */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export function parseScheduleExpression(expression: string, timezone: string): ScheduleExpression {
  if (typeof expression !== "string" || expression.length > MAX_EXPRESSION_LENGTH) {
    throw invalidParameter(
      `Invalid schedule expression: use rate(...) or cron(...) of at most ${MAX_EXPRESSION_LENGTH} characters.`,
    );
  }
  if (typeof timezone !== "string" || !isTimeZone(timezone)) {
    throw invalidParameter(
      `Invalid ScheduleExpressionTimezone '${String(timezone)}': use an IANA time zone such as UTC or Europe/Berlin.`,
    );
  }
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    const singular = unit.endsWith("s") ? unit.slice(0, -1) : unit;
    const millis = UNITS[singular];
    // EventBridge wants `1 minute` and `5 minutes`, never `1 minutes` or `5 minute`.
    if (millis === undefined || value < 1 || (value === 1) !== (singular === unit)) {
      throw invalidParameter(
        `Invalid schedule expression '${expression}': write rate(1 minute), rate(5 minutes), and so on (units: minute, hour, day; second for Inflow only).`,
      );
    }
    return { kind: "rate", everyMillis: value * millis };
  }
  const cron = CRON.exec(expression);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6) {
      throw invalidParameter(
        `Invalid schedule expression '${expression}': cron takes 6 fields, minutes hours day-of-month month day-of-week year.`,
      );
    }
    if ((fields[2] === "?") === (fields[4] === "?")) {
      throw invalidParameter(
        `Invalid schedule expression '${expression}': put ? in exactly one of day-of-month and day-of-week, as EventBridge requires.`,
      );
    }
    try {
      return {
        kind: "cron",
        cron: new Cron(`0 ${fields.join(" ")}`, {
          mode: "7-part",
          alternativeWeekdays: true,
          sloppyRanges: true,
          timezone,
          paused: true,
        }),
      };
    } catch (error) {
      throw invalidParameter(`Invalid schedule expression '${expression}': ${(error as Error).message}`);
    }
  }
  throw invalidParameter(`Invalid schedule expression '${expression}': use rate(...) or cron(...).`);
}

/**
 * The first firing time after `after` (epoch ms), or undefined when there is none (a cron
 * whose years are past). Rates count whole periods from `anchor`, when the schedule was set.
 */
export function nextFireTime(parsed: ScheduleExpression, after: number, anchor: number): number | undefined {
  if (parsed.kind === "rate") {
    const periods = Math.max(0, Math.floor((after - anchor) / parsed.everyMillis) + 1);
    return anchor + periods * parsed.everyMillis;
  }
  return parsed.cron.nextRun(new Date(after))?.getTime();
}
