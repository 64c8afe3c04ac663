import type { PollDeps, PollReport } from "./poll.js";
import type { Source } from "./types.js";

/** Placeholder until the IMAP poll lands: a mailbox source fails its poll with this message. */
export async function pollMailbox(
  _deps: PollDeps,
  source: Extract<Source, { kind: "imap" }>,
  _report: PollReport,
  _take: boolean,
): Promise<void> {
  throw new Error(`Source ${source.name}: IMAP polling is not built yet.`);
}
