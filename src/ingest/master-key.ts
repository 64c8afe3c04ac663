import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { inspect } from "node:util";
import { masterKeyError } from "./errors.js";

/**
 * The master key the secret store encrypts under: 32 bytes (AES-256).
 *
 * Where it comes from, first match wins:
 * 1. `INFLOW_MASTER_KEY`: 32 bytes written as 64 hex digits or as base64 (padded or not, also
 *    base64url). Anything else is refused, without echoing what was given.
 * 2. A key file, `keyFile` if given, else `master.key` in `dataDir` (SQLite's data directory).
 *    Created on first need with 32 random bytes in base64, mode 0600, atomically (written to a
 *    temporary file and linked into place, so two processes starting together agree on one key).
 *    An existing file readable or writable by group or others is refused: the key is only as
 *    secret as the file.
 *
 * PostgreSQL has no data directory, and the key must not live in the database next to what it
 * protects. Many machines share one PostgreSQL, and each must hold the same key, so Inflow does
 * not invent a file in the working directory there: the caller names one (`--master-key-file`),
 * or sets INFLOW_MASTER_KEY. A named file is still created on first need, for the first machine;
 * the operator copies it to the others. A machine with another key is told so by key id (see
 * `MasterKey.id`) rather than failing with a bare decryption error.
 *
 * Both INFLOW_MASTER_KEY and an explicit key file at once is refused: which one wins would be a
 * guess, and a wrong guess seals secrets under a key nobody meant to use.
 */

export const MASTER_KEY_ENV = "INFLOW_MASTER_KEY";
export const MASTER_KEY_FILE = "master.key";
const KEY_BYTES = 32;

/**
 * A loaded master key. The bytes sit in a private field, so logging, inspecting or serializing
 * the object shows its id only.
 */
export class MasterKey {
  readonly #key: Buffer;
  /** A fingerprint of the key (`mk_` and 16 hex digits of a SHA-256), stored with every row it seals. */
  readonly id: string;
  /** Where the key came from, for messages: `INFLOW_MASTER_KEY` or the key file's path. */
  readonly source: string;

  constructor(key: Buffer, source: string) {
    if (key.length !== KEY_BYTES)
      throw masterKeyError(`A master key must be ${KEY_BYTES} bytes, not ${key.length}.`);
    this.#key = Buffer.from(key);
    this.source = source;
    this.id = `mk_${createHash("sha256").update("inflow master key id\0").update(key).digest("hex").slice(0, 16)}`;
  }

  /** The raw key, for the cipher only. */
  bytes(): Buffer {
    return this.#key;
  }

  toJSON(): { id: string; source: string } {
    return { id: this.id, source: this.source };
  }

  [inspect.custom](): string {
    return `MasterKey { id: '${this.id}', source: '${this.source}' }`;
  }
}

export interface LoadMasterKeyOptions {
  /** SQLite's data directory: the key file is `master.key` in it. */
  dataDir?: string;
  /** An explicit key file (required on PostgreSQL unless INFLOW_MASTER_KEY is set). */
  keyFile?: string;
  /** Where to read INFLOW_MASTER_KEY from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export function loadMasterKey(options: LoadMasterKeyOptions = {}): MasterKey {
  const fromEnv = (options.env ?? process.env)[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (options.keyFile !== undefined) {
      throw masterKeyError(
        `Both ${MASTER_KEY_ENV} and a master key file (${options.keyFile}) are given: use one of them.`,
      );
    }
    const key = decodeKey(fromEnv);
    if (!key) {
      throw masterKeyError(
        `${MASTER_KEY_ENV} is not a 32-byte key: write it as 64 hex digits or as base64 of 32 bytes (for example: openssl rand -base64 32).`,
      );
    }
    return new MasterKey(key, MASTER_KEY_ENV);
  }
  const file =
    options.keyFile ?? (options.dataDir !== undefined ? join(options.dataDir, MASTER_KEY_FILE) : undefined);
  if (file === undefined) {
    throw masterKeyError(
      `No master key: set ${MASTER_KEY_ENV} or name a key file (--master-key-file); with PostgreSQL there is no data directory to keep one in.`,
    );
  }
  return new MasterKey(readOrCreateKeyFile(file), file);
}

/** 32 bytes from 64 hex digits or from base64/base64url; undefined for anything else. */
export function decodeKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  // 32 bytes are 43 base64 characters and one `=` of padding.
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (key.length === KEY_BYTES) return key;
  }
  return undefined;
}

function readOrCreateKeyFile(file: string): Buffer {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw masterKeyError(`Cannot read the master key file ${file}: ${(error as Error).message}`);
    }
    createKeyFile(file);
    stat = statSync(file);
  }
  if (!stat.isFile()) throw masterKeyError(`The master key file ${file} is not a file.`);
  // POSIX permissions only; Windows reports modes that mean nothing here.
  if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
    throw masterKeyError(
      `The master key file ${file} is accessible to group or others (mode ${mode}); refusing to use it. ` +
        `Restrict it with: chmod 600 ${file}`,
    );
  }
  const key = decodeKey(readFileSync(file, "utf8"));
  if (!key) {
    throw masterKeyError(
      `The master key file ${file} does not hold a 32-byte key (64 hex digits or base64 of 32 bytes).`,
    );
  }
  return key;
}

/** Writes a new key to a private temporary file, then links it into place unless another process was first. */
function createKeyFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, `${randomBytes(KEY_BYTES).toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw masterKeyError(`Cannot create the master key file ${file}: ${(error as Error).message}`);
    }
  } finally {
    unlinkSync(temporary);
  }
}
