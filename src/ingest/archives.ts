import type { Readable } from "node:stream";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { IngestError } from "./errors.js";
import { checkFileName } from "./transport.js";

/**
 * Zip archives from suppliers (an email attachment, a file on their FTP), unpacked in memory into
 * one file each. An archive is untrusted input: its names may be paths meant to escape, its
 * headers may lie about sizes (a zip bomb), so names are cut to a checked base name and every
 * entry's bytes are counted as they are inflated, never trusted from the header alone.
 */

export interface ArchiveLimits {
  /** Largest uncompressed size of one file (the source's per-file limit). */
  maxFileBytes: number;
  /** Most files taken from one archive; default 1,000. */
  maxFiles?: number;
  /** Largest uncompressed total; default 256 MiB. */
  maxTotalBytes?: number;
}

/** A file taken from an archive, under its base name (two may share one, from different folders). */
export interface UnpackedFile {
  name: string;
  bytes: Buffer;
}

/** An entry not taken: `name` is its path in the archive, `error` a message naming archive and entry. */
export interface ArchiveEntryError {
  name: string;
  error: string;
}

export const DEFAULT_MAX_FILES = 1_000;
export const DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024;

const LOCAL_FILE_HEADER = Buffer.from("PK\x03\x04", "latin1");
const END_OF_CENTRAL_DIRECTORY = Buffer.from("PK\x05\x06", "latin1");

/** True when the bytes are a zip (local file header or empty-archive signature), whatever the name. */
export function isZip(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4);
  return head.equals(LOCAL_FILE_HEADER) || head.equals(END_OF_CENTRAL_DIRECTORY);
}

/**
 * Every plain file in the archive, by base name, with the entries that could not be taken
 * (unsafe name, encrypted, unsupported compression, a link, over the per-file limit, unreadable).
 * Directories, `__MACOSX/` and dot files are skipped silently. Throws ArchiveTooLarge (413) past
 * `maxFiles` or `maxTotalBytes`, InvalidArchive (400) when the bytes are not a readable zip.
 *
 * A zip inside is returned as a file like any other, not unpacked again: one level only, so a
 * bomb of nested archives cannot multiply its size (or its file count) past these limits.
 */
export async function unpackZip(
  archiveName: string,
  bytes: Buffer,
  limits: ArchiveLimits,
): Promise<{ files: UnpackedFile[]; errors: ArchiveEntryError[] }> {
  const maxFiles = limits.maxFiles ?? DEFAULT_MAX_FILES;
  const maxTotalBytes = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const files: UnpackedFile[] = [];
  const errors: ArchiveEntryError[] = [];
  let totalBytes = 0;

  // Refused entries count towards maxFiles too: otherwise an archive of a million unreadable
  // entries would make a million error messages.
  const count = () => {
    if (files.length + errors.length >= maxFiles) {
      throw tooLarge(`${archiveName}: more than ${maxFiles} files exceeds the limit of ${maxFiles} files.`);
    }
  };
  const refuse = (path: string, why: string) => {
    count();
    errors.push({ name: path, error: `${archiveName}: ${shown(path)}: ${why}` });
  };

  const totalExceeded = () =>
    tooLarge(
      `${archiveName}: more than ${maxTotalBytes} bytes unpacked exceeds the limit of ${maxTotalBytes} bytes for one archive.`,
    );

  const zip = await openZip(archiveName, bytes);
  try {
    for await (const entry of zip.eachEntry()) {
      const path = entryPath(entry);
      const mode = unixMode(entry);
      if (path.endsWith("/") || (mode & 0o170000) === 0o040000) continue;
      const segments = path.split("/");
      // macOS's Archive Utility adds __MACOSX/ (resource forks); never invoices.
      if (segments.includes("__MACOSX")) continue;
      const name = segments.at(-1)!;
      if (!isSafeName(name)) {
        refuse(path, "not a plain file name; skipped.");
        continue;
      }
      // .DS_Store and the like: an operating system's, not the supplier's.
      if (name.startsWith(".")) continue;
      if (entry.isEncrypted()) {
        refuse(path, "encrypted; not supported.");
        continue;
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        refuse(
          path,
          `compression method ${entry.compressionMethod}; not supported (only stored and deflated).`,
        );
        continue;
      }
      if ((mode & 0o170000) === 0o120000) {
        refuse(path, "a symbolic link, not a plain file; skipped.");
        continue;
      }
      // The declared size first, so an honest large entry is refused without inflating it.
      if (entry.uncompressedSize > limits.maxFileBytes) {
        refuse(path, `${entry.uncompressedSize} bytes exceeds the limit of ${limits.maxFileBytes} bytes.`);
        continue;
      }
      if (totalBytes + entry.uncompressedSize > maxTotalBytes) throw totalExceeded();
      count();

      // The header may lie (yauzl's validateEntrySizes usually catches that first); the count
      // here is what holds: at most `cap` bytes are ever kept.
      const cap = Math.min(limits.maxFileBytes, maxTotalBytes - totalBytes);
      let data: Buffer | undefined;
      try {
        data = await readAtMost(await openEntry(zip, entry), cap);
      } catch (err) {
        refuse(path, `unreadable: ${(err as Error).message}.`);
        continue;
      }
      if (data === undefined) {
        if (cap < limits.maxFileBytes) throw totalExceeded();
        refuse(path, `more than ${cap} bytes exceeds the limit of ${cap} bytes.`);
        continue;
      }
      totalBytes += data.length;
      files.push({ name, bytes: data });
    }
  } catch (err) {
    if (err instanceof IngestError) throw err;
    // The iterator fails on a bad central directory record.
    throw invalidArchive(archiveName, err);
  } finally {
    zip.close();
  }
  return { files, errors };
}

const tooLarge = (message: string) => new IngestError("ArchiveTooLarge", message, 413);
const invalidArchive = (archiveName: string, err: unknown) =>
  new IngestError("InvalidArchive", `${archiveName}: ${(err as Error).message ?? String(err)}`, 400);

function openZip(archiveName: string, bytes: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: with it on, yauzl fails the whole archive on one `../` or absolute name;
    // names are decoded below and cut to a base name instead, so the other entries still arrive.
    yauzl.fromBuffer(
      bytes,
      { lazyEntries: true, validateEntrySizes: true, decodeStrings: false },
      (err, zip) => (err ? reject(invalidArchive(archiveName, err)) : resolve(zip)),
    );
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

/** The bytes of the stream, or undefined as soon as they pass `cap` (the stream is then destroyed). */
function readAtMost(stream: Readable, cap: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        stream.destroy();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    stream.on("end", () => resolve(Buffer.concat(chunks, size)));
    stream.on("error", reject);
  });
}

/**
 * The entry's path, decoded as yauzl would (UTF-8 flag, Info-ZIP Unicode path, else CP437), with
 * `\` as a separator too: archives made on Windows sometimes use it.
 */
function entryPath(entry: Entry): string {
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
}

/** The Unix file type and permissions, when the archive was made on Unix; 0 otherwise. */
const unixMode = (entry: Entry) => (entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0);

function isSafeName(name: string): boolean {
  try {
    checkFileName(name);
    return true;
  } catch {
    return false;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A path for a message: as JSON when it holds control characters, so a log line stays one line. */
const shown = (path: string) => {
  const short = path.length > 300 ? `${path.slice(0, 300)}…` : path;
  return CONTROL.test(short) ? JSON.stringify(short) : short;
};
