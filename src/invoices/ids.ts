import { randomText } from "../queues/random.js";

/**
 * A new id: `prefix` + 20 url-safe random characters (120 bits), e.g. `c_` for containers, `i_`
 * for invoices. Valid as a Step Functions execution name too (letters, digits, `-` and `_`).
 */
export const newId = (prefix: string): string => `${prefix}${randomText(15, "base64url")}`;
