import type { Dialect, SqlValue } from "../store/types.js";

/**
 * The two places where the queue SQL differs between dialects. Everything else is written once.
 */

/** `column IN (ids)` with the list as one parameter `$n`. */
export function inIds(
  dialect: Dialect,
  column: string,
  n: number,
  ids: readonly number[],
): [string, SqlValue] {
  if (dialect === "postgres") return [`${column} = ANY($${n}::bigint[])`, ids as unknown as SqlValue];
  return [`${column} IN (SELECT value FROM json_each($${n}))`, JSON.stringify(ids)];
}

/**
 * Row locks for picking messages. PostgreSQL skips rows another receiver holds, so concurrent
 * receivers never wait on each other nor take the same message; SQLite has one writer at a time
 * (BEGIN IMMEDIATE), which already excludes that.
 */
export function skipLocked(dialect: Dialect): string {
  return dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
}
