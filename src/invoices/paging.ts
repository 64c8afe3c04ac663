import type { Page } from "./types.js";

/**
 * Keyset paging: listings are ordered by `seq` (the insertion order) and a page ends at the
 * `seq` of its last row, so the next page starts right after it however many rows arrive
 * meanwhile, and reading page 1,000 costs what page 1 does.
 */

/** A page of `limit` rows out of `limit + 1` read: the extra one only says there is more. */
export function pageOf<Row extends { seq: number }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(map), ...(more ? { next: page[page.length - 1]!.seq } : {}) };
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (with ESCAPE '\'). */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
