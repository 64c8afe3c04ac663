import { receiptHandleIsInvalid } from "./errors.js";
import { randomText } from "./random.js";

/**
 * What a receipt handle proves: which message, in which queue, from which receive. The receive
 * count tells a handle from an earlier receive apart from the current one; the random tail makes
 * every handle unique and unguessable enough that a typo never names a real message.
 */
export interface Receipt {
  queueId: number;
  rowId: number;
  receiveCount: number;
}

const PREFIX = "ifr1";
const NONCE_BYTES = 12;

export function encodeReceipt(receipt: Receipt): string {
  const text = `${PREFIX}:${receipt.queueId}:${receipt.rowId}:${receipt.receiveCount}:${randomText(NONCE_BYTES, "hex")}`;
  return Buffer.from(text, "utf8").toString("base64url");
}

export function decodeReceipt(handle: string): Receipt {
  const parts =
    typeof handle === "string" ? Buffer.from(handle, "base64url").toString("utf8").split(":") : [];
  const [prefix, queueId, rowId, receiveCount, nonce] = parts;
  const valid =
    parts.length === 5 &&
    prefix === PREFIX &&
    /^\d+$/.test(queueId ?? "") &&
    /^\d+$/.test(rowId ?? "") &&
    /^\d+$/.test(receiveCount ?? "") &&
    /^[0-9a-f]{24}$/.test(nonce ?? "");
  if (!valid) throw receiptHandleIsInvalid(handle);
  return { queueId: Number(queueId), rowId: Number(rowId), receiveCount: Number(receiveCount) };
}
