import { isAbsolute } from "node:path";
import { unsafeFileName } from "./errors.js";

/**
 * What a kind of source implements to be polled. A transport is opened per poll (a connection
 * for ftp/sftp, nothing for a folder) and closed after it.
 */
export interface RemoteEntry {
  /** The file's name as the source lists it; checked with `checkFileName` before any use. */
  name: string;
  size: number;
  /** Modification time, epoch ms (whole milliseconds). */
  mtime: number;
}

export interface Transport {
  /** The plain files there now (not directories, not links), in any order. */
  list(): Promise<RemoteEntry[]>;
  /** The bytes of one file; refuses (FileTooLarge) rather than reads more than `maxBytes`. */
  fetch(entry: RemoteEntry, maxBytes: number): Promise<Buffer>;
  /** Deletes the file at the source. */
  remove(entry: RemoteEntry): Promise<void>;
  /** Moves the file into `archiveDir` (created when missing), under its name or, when taken, a free one. */
  move(entry: RemoteEntry, archiveDir: string): Promise<void>;
  close(): Promise<void>;
  /** What connecting learned that a user checks, shown by `inflow sources test`: an SFTP server's host key. */
  readonly facts?: Readonly<Record<string, string>>;
}

/**
 * A server source's credentials, read from the tenant's secrets just before connecting and held
 * only for the connection. No message, log line or error may contain them.
 */
export interface Credentials {
  password?: string;
  /** An OpenSSH or PEM private key (sftp). */
  privateKey?: string;
}

/** Seconds a connection, a listing or one transfer may take when a source does not say. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

// Control characters (C0, DEL, C1) have no place in a supplier's file name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_NAME_LENGTH = 255;

/**
 * A file name a source lists is used to name a file here (the archive) and the container: it
 * must be one plain name. Refused: empty, `.`/`..`, any `/` or `\` (a path, whatever the
 * server's separator), absolute (`/x`, `C:x`), control characters, more than 255 characters.
 */
export function checkFileName(name: string): string {
  if (
    typeof name !== "string" ||
    name.length === 0 ||
    name.length > MAX_NAME_LENGTH ||
    name === "." ||
    name === ".." ||
    name.includes("/") ||
    name.includes("\\") ||
    /^[A-Za-z]:/.test(name) ||
    isAbsolute(name) ||
    CONTROL.test(name)
  ) {
    throw unsafeFileName(name);
  }
  return name;
}

/**
 * A name a sender chose (an email attachment's, a zip member's) as a plain file name: its last
 * path part, or undefined when even that is unsafe or empty.
 */
export function attachmentName(filename: string | undefined): string | undefined {
  const base = filename?.split(/[\\/]/).pop()?.trim();
  if (!base) return undefined;
  try {
    return checkFileName(base);
  } catch {
    return undefined;
  }
}

/**
 * A source's pattern as a test of file names. Patterns match one name, never a path, so the glob
 * language needed is small: `*` (any run of characters), `?` (one), `[abc]`, `[a-z]`, `[!abc]`,
 * `{csv,json}` (not nested) and `\` escaping the next character; case-sensitive, as on a Unix
 * server, and `*` matches a leading dot too.
 *
 * Written here rather than taken from elsewhere: `path.matchesGlob` is experimental on Node 20
 * (it prints an ExperimentalWarning to stderr on first use, and does not exist before 20.17 while
 * Inflow runs on 20.12 and later), and the glob libraries in node_modules (picomatch) come only
 * with the development tools, not with an installed Inflow. Tests hold this to `matchesGlob` on
 * patterns without `\` (which it does not take as an escape).
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  if (typeof pattern !== "string" || pattern.length === 0 || pattern.length > 256 || pattern.includes("/")) {
    throw new Error(
      `Invalid pattern ${JSON.stringify(pattern)}: a glob on file names such as *.edi, 1 to 256 characters, no /.`,
    );
  }
  let source = "";
  let inBraces = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new Error(`Invalid pattern ${JSON.stringify(pattern)}: it ends in \\.`);
      source += escapeRegExp(next);
    } else if (c === "*") {
      while (pattern[i + 1] === "*") i++;
      source += ".*";
    } else if (c === "?") {
      source += ".";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else if (c === "{" && !inBraces) {
      inBraces = true;
      source += "(?:";
    } else if (c === "," && inBraces) {
      source += "|";
    } else if (c === "}" && inBraces) {
      inBraces = false;
      source += ")";
    } else if (c === "{") {
      throw new Error(`Invalid pattern ${JSON.stringify(pattern)}: braces do not nest.`);
    } else {
      source += escapeRegExp(c);
    }
  }
  if (inBraces) throw new Error(`Invalid pattern ${JSON.stringify(pattern)}: a { is not closed.`);
  const regexp = new RegExp(`^${source}$`, "s");
  return (name) => regexp.test(name);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
