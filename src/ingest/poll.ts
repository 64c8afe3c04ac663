import { sha256Of } from "../invoices/files.js";
import type { PipelineStarter } from "../invoices/starter.js";
import { DEFAULT_MAX_FILE_BYTES } from "../invoices/types.js";
import type { Store } from "../store/types.js";
import { sourceFileTooLarge } from "./errors.js";
import { createFolderTransport } from "./folder.js";
import { getSource, recordPoll } from "./sources.js";
import { claimHash, recordTaken, releaseHash, takenByListing } from "./taken.js";
import { checkFileName, compileGlob, type RemoteEntry, type Transport } from "./transport.js";
import type { Source } from "./types.js";

/** What a poll needs: the database and the pipeline that makes containers. */
export interface PollDeps {
  store: Store;
  pipeline: Pick<PipelineStarter, "receive">;
  /** Opens a source's transport; default by kind (tests give their own). */
  transportFor?: (source: Source) => Transport | Promise<Transport>;
}

export type PolledFileStatus =
  /** Made a container. */
  | "taken"
  /** Taken by an earlier poll (same path, size and time): not fetched. */
  | "seen"
  /** Its bytes were taken before under another name or time: no second container. */
  | "duplicate"
  /** `test` only: a poll would fetch it. */
  | "new"
  /** Modified more recently than the source's minimum age: left for a later poll. */
  | "settling"
  | "error";

export interface PolledFile {
  name: string;
  size: number;
  status: PolledFileStatus;
  containerId?: string;
  /** Why it was not taken, or why its after-action failed (it was taken all the same). */
  error?: string;
}

export interface PollReport {
  tenantId: string;
  source: string;
  /** Files listed that match the pattern, and those refused for their names; hidden files (`.name`) are passed over. */
  files: PolledFile[];
  /** Files that did not match the pattern. */
  ignored: number;
  taken: number;
  /** Why the source could not be polled at all (its directory is missing, a login failed ...). */
  error?: string;
}

/** The largest number of file errors named in a source's last error; the rest are counted. */
const ERRORS_NAMED = 5;

export function openTransport(source: Source): Transport {
  switch (source.kind) {
    case "folder":
      return createFolderTransport(source.settings);
  }
}

/**
 * One poll of a source: list, filter by the pattern, skip what was taken, refuse what is too
 * large or badly named, fetch the rest, make a container of each through the pipeline, remember
 * it, then keep, delete or move it as the settings say. A file's failure is recorded and the
 * others go on. The source's record (last poll, files taken, last error) is updated at the end:
 * a poll with no error clears the last one.
 *
 * With `take: false` (`inflow sources test`) the source is listed and nothing is fetched, taken,
 * changed or recorded.
 *
 * This is what a scheduler runs for each enabled source whose schedule is due (it checks
 * `enabled` and the schedule; a poll asked for by name runs whatever they say). Two polls of one
 * source at once make no container twice (the content hash is claimed first), but each fetches.
 */
export async function pollSource(
  deps: PollDeps,
  tenantId: string,
  name: string,
  options: { take?: boolean } = {},
): Promise<PollReport> {
  const take = options.take !== false;
  const source = await getSource(deps.store, tenantId, name);
  const report: PollReport = { tenantId, source: name, files: [], ignored: 0, taken: 0 };
  const matches = source.settings.pattern ? compileGlob(source.settings.pattern) : () => true;
  const maxBytes = source.settings.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;

  let transport: Transport | undefined;
  try {
    transport = await (deps.transportFor ?? openTransport)(source);
    const entries = (await transport.list()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      try {
        checkFileName(entry.name);
      } catch (error) {
        report.files.push({ name: entry.name, size: entry.size, status: "error", error: message(error) });
        continue;
      }
      // Hidden files (often uploads in progress, `.part`, `.tmp`) are not for taking.
      if (entry.name.startsWith(".")) continue;
      if (!matches(entry.name)) {
        report.ignored++;
        continue;
      }
      if (Date.now() - entry.mtime < (source.settings.minAgeSeconds ?? 0) * 1000) {
        report.files.push({ name: entry.name, size: entry.size, status: "settling" });
        continue;
      }
      const file = take
        ? await takeFile(deps, source, transport, entry, maxBytes)
        : await lookAt(deps, source, entry, maxBytes);
      report.files.push(file);
      if (file.status === "taken") report.taken++;
    }
  } catch (error) {
    report.error = message(error);
  } finally {
    await transport?.close().catch(() => undefined);
  }
  if (take) {
    await recordPoll(deps.store, source, {
      at: Date.now(),
      taken: report.taken,
      ...(lastError(report) !== undefined ? { error: lastError(report)! } : {}),
    });
  }
  return report;
}

/** `test`: what a poll would do with the file, without fetching it. */
async function lookAt(
  deps: PollDeps,
  source: Source,
  entry: RemoteEntry,
  maxBytes: number,
): Promise<PolledFile> {
  const file: PolledFile = { name: entry.name, size: entry.size, status: "new" };
  if (await takenByListing(deps.store, source, entry)) file.status = "seen";
  else if (entry.size > maxBytes) {
    file.status = "error";
    file.error = sourceFileTooLarge(entry.name, entry.size, maxBytes).message;
  }
  return file;
}

async function takeFile(
  deps: PollDeps,
  source: Source,
  transport: Transport,
  entry: RemoteEntry,
  maxBytes: number,
): Promise<PolledFile> {
  const file: PolledFile = { name: entry.name, size: entry.size, status: "taken" };
  try {
    if (await takenByListing(deps.store, source, entry)) {
      // Still there though taken: a delete or move that failed last time is tried again.
      file.status = "seen";
    } else {
      if (entry.size > maxBytes) throw sourceFileTooLarge(entry.name, entry.size, maxBytes);
      const bytes = await transport.fetch(entry, maxBytes);
      const sha256 = sha256Of(bytes);
      const claim = await claimHash(deps.store, source, sha256);
      if (claim.claimed) {
        try {
          const { containerId } = await deps.pipeline.receive(source.tenantId, {
            name: entry.name,
            bytes,
            source: source.kind,
          });
          file.containerId = containerId;
        } catch (error) {
          await releaseHash(deps.store, source, sha256);
          throw error;
        }
      } else {
        file.status = "duplicate";
        if (claim.containerId !== undefined) file.containerId = claim.containerId;
      }
      await recordTaken(deps.store, source, entry, {
        sha256,
        claimed: claim.claimed,
        ...(file.containerId !== undefined ? { containerId: file.containerId } : {}),
      });
    }
  } catch (error) {
    return { name: entry.name, size: entry.size, status: "error", error: message(error) };
  }
  try {
    await afterTaking(source, transport, entry);
  } catch (error) {
    file.error = `taken, but not ${source.settings.after === "move" ? "moved" : "deleted"}: ${message(error)}`;
  }
  return file;
}

async function afterTaking(source: Source, transport: Transport, entry: RemoteEntry): Promise<void> {
  const { after, archive } = source.settings;
  if (after === "delete") await transport.remove(entry);
  // A relative archive is the transport's to resolve: a folder's is inside the folder.
  else if (after === "move" && archive !== undefined) await transport.move(entry, archive);
}

/** The source's last error after this poll: the poll's own, or its files' (the first few named). */
function lastError(report: PollReport): string | undefined {
  if (report.error !== undefined) return report.error;
  const failed = report.files.filter((file) => file.error !== undefined);
  if (failed.length === 0) return undefined;
  const named = failed.slice(0, ERRORS_NAMED).map((file) => `${JSON.stringify(file.name)}: ${file.error}`);
  const more = failed.length > ERRORS_NAMED ? `; and ${failed.length - ERRORS_NAMED} more` : "";
  return `${failed.length} file${failed.length === 1 ? "" : "s"} failed: ${named.join("; ")}${more}`;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
