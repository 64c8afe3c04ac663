import { DEFAULT_MAX_FILE_BYTES } from "../invoices/types.js";
import { invalidSource, sourceFileTooLarge } from "./errors.js";
import { pollMailbox } from "./imap.js";
import { containersMade, type IntakeDeps, type IntakeResult, intake } from "./intake.js";
import { openTransport, type PolledSource } from "./open-transport.js";
import { DEFAULT_RETRIES, isRetryable, withRetries } from "./retries.js";
import type { SecretReader } from "./secrets.js";
import { getSource, recordPoll } from "./sources.js";
import { recordTaken, takenByListing } from "./taken.js";
import { checkFileName, compileGlob, type RemoteEntry, type Transport } from "./transport.js";
import { isPolled, type Source } from "./types.js";

/** What a poll needs: the database, the pipeline that makes containers, and the tenant's secrets. */
export interface PollDeps extends IntakeDeps {
  /** Reads the secrets a server source logs in with; without it, such a source fails with a clear error. */
  readSecret?: SecretReader;
  /** Opens a source's transport; default by kind (tests give their own). */
  transportFor?: (source: Source) => Transport | Promise<Transport>;
  /** The first wait between tries after a failure (1 s); tests shorten it. */
  retryWaitMillis?: number;
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
  /** A zip: its files were taken one by one (see `unpacked`). */
  | "unpacked"
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
  /** A zip's files and what became of each. */
  unpacked?: IntakeResult[];
}

export interface PollReport {
  tenantId: string;
  source: string;
  /** Files listed that match the pattern, and those refused for their names; hidden files (`.name`) are passed over. */
  files: PolledFile[];
  /** Files that did not match the pattern. */
  ignored: number;
  /** Containers made (a zip's files count one each). */
  taken: number;
  /** What connecting learned (an SFTP server's host key), for `inflow sources test`. */
  facts?: Readonly<Record<string, string>>;
  /** Why the source could not be polled at all (its directory is missing, a login failed ...). */
  error?: string;
}

/** The largest number of file errors named in a source's last error; the rest are counted. */
const ERRORS_NAMED = 5;

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
  if (!isPolled(source)) throw invalidSource(`Source ${name} takes email as it arrives: it is not polled.`);
  const report: PollReport = { tenantId, source: name, files: [], ignored: 0, taken: 0 };
  try {
    if (source.kind === "imap") await pollMailbox(deps, source, report, take);
    else await pollFiles(deps, source, report, take);
  } catch (error) {
    report.error = message(error);
  }
  // Counted whatever stopped the poll: what it took before failing was taken.
  report.taken = report.files.reduce((sum, file) => sum + containersMade(file).length, 0);
  if (take) {
    await recordPoll(deps.store, source, {
      at: Date.now(),
      taken: report.taken,
      ...(lastError(report) !== undefined ? { error: lastError(report)! } : {}),
    });
  }
  return report;
}

/**
 * A transport's poll: list (connecting again after a failure, with back-off), filter, then fetch
 * and take the new files over `concurrency` connections. Fills `report`; throws when the source
 * cannot be listed at all.
 */
async function pollFiles(
  deps: PollDeps,
  source: Exclude<PolledSource, { kind: "imap" }>,
  report: PollReport,
  take: boolean,
): Promise<void> {
  const { settings } = source;
  const matches = settings.pattern ? compileGlob(settings.pattern) : () => true;
  const maxBytes = settings.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const retries = settings.retries ?? DEFAULT_RETRIES;
  const retryOptions = deps.retryWaitMillis !== undefined ? { firstWaitMillis: deps.retryWaitMillis } : {};
  const open = () => (deps.transportFor ?? ((s: Source) => openTransport(s, deps.readSecret)))(source);

  let first: Transport | undefined;
  try {
    const listed = await withRetries(
      retries,
      async () => {
        const transport = await open();
        try {
          return { transport, entries: await transport.list() };
        } catch (error) {
          await transport.close().catch(() => undefined);
          throw error;
        }
      },
      retryOptions,
    );
    first = listed.transport;
    if (first.facts) report.facts = first.facts;
    const entries = listed.entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    /** Files to fetch (or, for `test`, to look at), with their place in the report. */
    const todo: { entry: RemoteEntry; index: number }[] = [];
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
      if (Date.now() - entry.mtime < (settings.minAgeSeconds ?? 0) * 1000) {
        report.files.push({ name: entry.name, size: entry.size, status: "settling" });
        continue;
      }
      todo.push({ entry, index: report.files.length });
      report.files.push({ name: entry.name, size: entry.size, status: "new" });
    }

    // Each lane fetches over its own connection: an FTP connection carries one transfer at a time.
    let next = 0;
    const lanes = take ? Math.min(settings.concurrency ?? 1, todo.length) : 1;
    await Promise.all(
      Array.from({ length: lanes }, async (_, laneNumber) => {
        const lane = createLane(laneNumber === 0 ? first : undefined, open);
        try {
          while (next < todo.length) {
            const { entry, index } = todo[next++]!;
            report.files[index] = take
              ? await takeFile(deps, source, lane, entry, maxBytes, (attempt) =>
                  withRetries(retries, attempt, retryOptions),
                )
              : await lookAt(deps, source, entry, maxBytes);
          }
        } finally {
          // The first lane's connection is the listing's, closed below.
          if (laneNumber !== 0) await lane.close();
          else first = lane.current();
        }
      }),
    );
  } finally {
    await first?.close().catch(() => undefined);
  }
}

/** A lane's connection, opened when first needed and again after one failed. */
interface Lane {
  get(): Promise<Transport>;
  /** Drops the connection (it failed); the next `get` opens another. */
  reset(): Promise<void>;
  close(): Promise<void>;
  current(): Transport | undefined;
}

function createLane(initial: Transport | undefined, open: () => Transport | Promise<Transport>): Lane {
  let transport = initial;
  return {
    async get() {
      transport ??= await open();
      return transport;
    },
    async reset() {
      await transport?.close().catch(() => undefined);
      transport = undefined;
    },
    async close() {
      await transport?.close().catch(() => undefined);
      transport = undefined;
    },
    current: () => transport,
  };
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
  lane: Lane,
  entry: RemoteEntry,
  maxBytes: number,
  retrying: <T>(attempt: () => Promise<T>) => Promise<T>,
): Promise<PolledFile> {
  let file: PolledFile = { name: entry.name, size: entry.size, status: "seen" };
  try {
    // Already taken, yet still there: a delete or move that failed last time is tried again.
    if (!(await takenByListing(deps.store, source, entry))) {
      if (entry.size > maxBytes) throw sourceFileTooLarge(entry.name, entry.size, maxBytes);
      const bytes = await retrying(async () => {
        const transport = await lane.get();
        try {
          return await transport.fetch(entry, maxBytes);
        } catch (error) {
          if (isRetryable(error)) await lane.reset();
          throw error;
        }
      });
      const result = await intake(deps, source, { name: entry.name, bytes }, { maxFileBytes: maxBytes });
      const { sha256, ...taken } = result;
      file = { ...taken, size: entry.size };
      await recordTaken(deps.store, source, entry, {
        sha256: sha256!,
        ...(result.containerId !== undefined ? { containerId: result.containerId } : {}),
      });
    }
  } catch (error) {
    return { name: entry.name, size: entry.size, status: "error", error: message(error) };
  }
  try {
    await afterTaking(source, await lane.get(), entry);
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
