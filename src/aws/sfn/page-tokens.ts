import { ServiceError } from "../../states/service-errors.js";

/**
 * `nextToken` values: opaque to callers, they carry where the next page starts and what was listed,
 * so a token cannot continue another listing (another execution's history, another order).
 */

interface PagePosition {
  /** What was listed, e.g. `history:<executionArn>:reverse`. */
  listing: string;
  /** Where the next page starts: an id or a name, depending on the listing. */
  after: string | number;
}

const invalidToken = (token: string) => new ServiceError("InvalidToken", `Invalid Token: '${token}'`);

export function encodePageToken(listing: string, after: string | number): string {
  return Buffer.from(JSON.stringify({ listing, after } satisfies PagePosition), "utf8").toString("base64url");
}

/** Where `token` says the next page of `listing` starts; InvalidToken for anything else. */
export function decodePageToken(token: string, listing: string): string | number {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidToken(token);
  }
  const { listing: listed, after } = (position ?? {}) as Partial<PagePosition>;
  if (listed !== listing || (typeof after !== "string" && typeof after !== "number"))
    throw invalidToken(token);
  return after;
}
