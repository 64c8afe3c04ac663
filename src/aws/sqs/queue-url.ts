import { queueDoesNotExist } from "../../queues/errors.js";
import { invalidAddress } from "./protocol.js";

/** `http://host:port/<account>/<name>`; the base may carry a path prefix (a proxy's mount point). */
export function queueUrl(baseUrl: string, accountId: string, name: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${accountId}/${name}`;
}

/**
 * The queue a QueueUrl names. Only the last two path segments count, so URLs built for another
 * host name (`localhost` vs `127.0.0.1`, https behind a proxy, `sqs.<region>.amazonaws.com`)
 * still find the queue; another account's queue does not exist here.
 */
export function queueNameFromUrl(url: string, accountId: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    if (!url.startsWith("/")) throw invalidAddress(url);
    path = url;
  }
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments.length < 2) throw invalidAddress(url);
  const [account, name] = segments.slice(-2) as [string, string];
  if (account !== accountId) throw queueDoesNotExist();
  try {
    return decodeURIComponent(name);
  } catch {
    throw invalidAddress(url);
  }
}
