import { describe, expect, it } from "vitest";
import { nextFireTime, parseScheduleExpression } from "../../src/functions/schedule-expressions.js";

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, timezone: string, after: string, anchor = after) => {
  const time = nextFireTime(parseScheduleExpression(expression, timezone), at(after), at(anchor));
  return time === undefined ? undefined : new Date(time).toISOString();
};

describe("schedule expressions", () => {
  it("rates count whole periods from when the schedule was set", () => {
    expect(next("rate(5 minutes)", "UTC", "2026-01-01T00:12:00Z", "2026-01-01T00:01:00Z")).toBe(
      "2026-01-01T00:16:00.000Z",
    );
    expect(next("rate(1 hour)", "UTC", "2026-01-01T00:00:00Z")).toBe("2026-01-01T01:00:00.000Z");
    expect(next("rate(2 seconds)", "UTC", "2026-01-01T00:00:01Z", "2026-01-01T00:00:00Z")).toBe(
      "2026-01-01T00:00:02.000Z",
    );
  });

  it("cron reads EventBridge's six fields in the schedule's time zone", () => {
    expect(next("cron(0 6 * * ? *)", "Europe/Berlin", "2026-11-27T16:00:00Z")).toBe(
      "2026-11-28T05:00:00.000Z",
    );
    // Summer time: 6:00 in Berlin is 4:00 UTC.
    expect(next("cron(0 6 * * ? *)", "Europe/Berlin", "2026-07-01T12:00:00Z")).toBe(
      "2026-07-02T04:00:00.000Z",
    );
    // Weekdays count from SUN=1: 2 is Monday.
    expect(next("cron(0 6 ? * 2 *)", "UTC", "2026-11-27T16:00:00Z")).toBe("2026-11-30T06:00:00.000Z");
    expect(next("cron(0 12 ? * MON-FRI *)", "UTC", "2026-11-28T00:00:00Z")).toBe("2026-11-30T12:00:00.000Z");
    expect(next("cron(0/15 * * * ? *)", "UTC", "2026-11-27T16:01:00Z")).toBe("2026-11-27T16:15:00.000Z");
    expect(next("cron(0 12 L * ? *)", "UTC", "2026-11-27T16:00:00Z")).toBe("2026-11-30T12:00:00.000Z");
    expect(next("cron(0 0 1 1 ? 2028)", "UTC", "2026-11-27T16:00:00Z")).toBe("2028-01-01T00:00:00.000Z");
    expect(next("cron(0 0 1 1 ? 2020)", "UTC", "2026-11-27T16:00:00Z")).toBeUndefined();
  });

  it.each([
    ["rate(1 minutes)", "UTC", /write rate\(1 minute\)/],
    ["rate(5 minute)", "UTC", /write rate\(1 minute\)/],
    ["rate(0 minutes)", "UTC", /write rate/],
    ["rate(5 weeks)", "UTC", /units: minute/],
    ["cron(0 6 * * *)", "UTC", /6 fields/],
    ["cron(0 6 * * 2 *)", "UTC", /\? in exactly one/],
    ["cron(0 25 * * ? *)", "UTC", /Invalid schedule expression/],
    ["every day", "UTC", /use rate\(\.\.\.\) or cron/],
    ["rate(5 minutes)", "Mars/Olympus", /ScheduleExpressionTimezone 'Mars\/Olympus'/],
  ])("refuses %s (%s)", (expression, timezone, message) => {
    expect(() => parseScheduleExpression(expression, timezone)).toThrow(message);
  });
});
