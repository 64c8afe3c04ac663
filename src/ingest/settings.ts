import { isAbsolute } from "node:path";
import { DEFAULT_MAX_FILE_BYTES } from "../invoices/types.js";
import { invalidSource } from "./errors.js";
import { SECRET_NAME } from "./secrets.js";
import { compileGlob } from "./transport.js";
import {
  AFTER_ACTIONS,
  type AfterAction,
  type CommonSettings,
  DEFAULT_MAX_EMAIL_BYTES,
  type EmailSettings,
  type FolderSettings,
  type FtpSettings,
  type ImapSettings,
  MAX_EMAIL_BYTES,
  type ServerSettings,
  type SettingsByKind,
  type SftpSettings,
  SOURCE_KINDS,
  type SourceKind,
} from "./types.js";

/**
 * A kind's settings, checked and with their defaults. Only known fields are kept, so nothing
 * unexpected (a password typed into a field meant for a secret's name) is ever stored, and each
 * refusal names the field and what it takes.
 */
export function checkSettings<K extends SourceKind>(
  kind: K,
  settings: Record<string, unknown>,
): SettingsByKind[K];
export function checkSettings(kind: string, settings: Record<string, unknown>): SettingsByKind[SourceKind] {
  switch (kind) {
    case "folder":
      return folderSettings(settings);
    case "ftp":
    case "ftps":
      return ftpSettings(settings, kind === "ftps");
    case "sftp":
      return sftpSettings(settings);
    case "email":
      return emailSettings(settings);
    case "imap":
      return imapSettings(settings);
    default:
      throw invalidSource(`Unknown kind ${JSON.stringify(kind)}: one of ${SOURCE_KINDS.join(", ")}.`);
  }
}

type Fields = Record<string, unknown>;

const MAX_TIMEOUT_SECONDS = 600;
const MAX_CONCURRENCY = 16;
const MAX_RETRIES = 10;
// Control characters have no place in a host, a user or a directory: they could forge protocol lines.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOST = /^[A-Za-z0-9.:[\]_-]{1,253}$/;
const HOST_KEY = /^SHA256:[A-Za-z0-9+/]{43}$/;
// Deliberately plain: one @, no spaces or angle brackets, a dotted or single-label domain.
const ADDRESS = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

function wholeNumber(
  fields: Fields,
  key: string,
  what: string,
  min: number,
  max: number,
): number | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidSource(`${what} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

function text(fields: Fields, key: string, what: string, pattern?: RegExp): string | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 1024 || CONTROL.test(value)) {
    throw invalidSource(`${what} must be text of 1 to 1024 characters, without control characters.`);
  }
  if (pattern && !pattern.test(value)) throw invalidSource(`${what} ${JSON.stringify(value)} is not valid.`);
  return value;
}

function secretName(fields: Fields, key: string, what: string): string | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !SECRET_NAME.test(value)) {
    throw invalidSource(`${what} must name a secret (1 to 128 of A-Za-z0-9_.-/), not hold a value.`);
  }
  return value;
}

function common(fields: Fields): CommonSettings {
  const after = (fields.after ?? "keep") as AfterAction;
  if (!AFTER_ACTIONS.includes(after)) {
    throw invalidSource(`Invalid after-action ${JSON.stringify(after)}: one of ${AFTER_ACTIONS.join(", ")}.`);
  }
  const archive = fields.archive;
  if (
    archive !== undefined &&
    (typeof archive !== "string" || archive.length === 0 || CONTROL.test(archive))
  ) {
    throw invalidSource("The archive must be a directory name.");
  }
  if (after === "move" && archive === undefined) {
    throw invalidSource("Moving taken files needs an archive directory (--archive DIR).");
  }
  if (after !== "move" && archive !== undefined) {
    throw invalidSource("An archive directory is only for --after move.");
  }
  const pattern = fields.pattern;
  if (pattern !== undefined) {
    try {
      compileGlob(pattern as string);
    } catch (error) {
      throw invalidSource((error as Error).message);
    }
  }
  const maxFileBytes =
    wholeNumber(fields, "maxFileBytes", "The size limit", 1, Number.MAX_SAFE_INTEGER) ??
    DEFAULT_MAX_FILE_BYTES;
  const minAgeSeconds = wholeNumber(fields, "minAgeSeconds", "The minimum age", 0, 7 * 86_400);
  const concurrency = wholeNumber(fields, "concurrency", "The concurrency", 1, MAX_CONCURRENCY);
  const retries = wholeNumber(fields, "retries", "The retries", 0, MAX_RETRIES);
  return {
    ...(pattern !== undefined ? { pattern: pattern as string } : {}),
    after,
    ...(archive !== undefined ? { archive } : {}),
    maxFileBytes,
    ...(minAgeSeconds ? { minAgeSeconds } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}

function folderSettings(fields: Fields): FolderSettings {
  const path = fields.path;
  if (typeof path !== "string" || !isAbsolute(path)) {
    throw invalidSource("A folder source needs the drop directory's absolute path.");
  }
  return { path, ...common(fields) };
}

function serverSettings(fields: Fields, kind: string): ServerSettings {
  const host = text(fields, "host", "The host", HOST);
  if (host === undefined) throw invalidSource(`An ${kind} source needs the server's host (--host).`);
  const user = text(fields, "user", "The user");
  if (user === undefined) throw invalidSource(`An ${kind} source needs the user to log in as (--user).`);
  const port = wholeNumber(fields, "port", "The port", 1, 65_535);
  const passwordSecret = secretName(fields, "passwordSecret", "The password");
  const directory = text(fields, "directory", "The directory");
  const timeoutSeconds = wholeNumber(fields, "timeoutSeconds", "The timeout", 1, MAX_TIMEOUT_SECONDS);
  return {
    host,
    ...(port !== undefined ? { port } : {}),
    user,
    ...(passwordSecret !== undefined ? { passwordSecret } : {}),
    ...(directory !== undefined ? { directory } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...common(fields),
  };
}

function ftpSettings(fields: Fields, secure: boolean): FtpSettings {
  const kind = secure ? "ftps" : "ftp";
  const server = serverSettings(fields, kind);
  // Anonymous FTP has no password: anything else without one cannot log in.
  if (server.passwordSecret === undefined && server.user !== "anonymous") {
    throw invalidSource(
      `An ${kind} source needs the name of the secret holding its password (--password-secret).`,
    );
  }
  const tls = fields.tls;
  const caFile = fields.caFile;
  if (!secure && (tls !== undefined || caFile !== undefined)) {
    throw invalidSource("TLS settings are for ftps sources: use --kind ftps.");
  }
  if (tls !== undefined && tls !== "explicit" && tls !== "implicit") {
    throw invalidSource(`Invalid TLS mode ${JSON.stringify(tls)}: explicit or implicit.`);
  }
  if (caFile !== undefined && (typeof caFile !== "string" || !isAbsolute(caFile))) {
    throw invalidSource("The CA file must be an absolute path to a PEM file.");
  }
  return {
    ...server,
    ...(tls !== undefined ? { tls } : {}),
    ...(caFile !== undefined ? { caFile: caFile as string } : {}),
  };
}

function sftpSettings(fields: Fields): SftpSettings {
  const server = serverSettings(fields, "sftp");
  const privateKeySecret = secretName(fields, "privateKeySecret", "The private key");
  if (server.passwordSecret === undefined && privateKeySecret === undefined) {
    throw invalidSource(
      "An sftp source needs the name of a secret holding its password (--password-secret) or private key (--private-key-secret).",
    );
  }
  const hostKey = text(fields, "hostKey", "The host key", HOST_KEY);
  return {
    ...server,
    ...(privateKeySecret !== undefined ? { privateKeySecret } : {}),
    ...(hostKey !== undefined ? { hostKey } : {}),
  };
}

function emailSettings(fields: Fields): EmailSettings {
  const address = typeof fields.address === "string" ? fields.address.trim().toLowerCase() : undefined;
  if (address === undefined || !ADDRESS.test(address)) {
    throw invalidSource(
      "An email source needs the address its mail is sent to (--address invoices@example.com).",
    );
  }
  for (const key of ["archive", "minAgeSeconds", "concurrency", "retries"] as const) {
    if (fields[key] !== undefined)
      throw invalidSource(`${key} does not apply to an email source: nothing is polled.`);
  }
  if (fields.after !== undefined && fields.after !== "keep") {
    throw invalidSource("An email source keeps nothing to delete or move: its after-action is keep.");
  }
  const maxEmailBytes =
    wholeNumber(fields, "maxEmailBytes", "The email size limit", 1024, MAX_EMAIL_BYTES) ??
    DEFAULT_MAX_EMAIL_BYTES;
  return { address, maxEmailBytes, ...common(fields) };
}

function imapSettings(fields: Fields): ImapSettings {
  const server = serverSettings(fields, "imap");
  if (server.passwordSecret === undefined) {
    throw invalidSource(
      "An imap source needs the name of the secret holding its password (--password-secret).",
    );
  }
  if (server.directory !== undefined)
    throw invalidSource("An imap source names a --mailbox, not a directory.");
  const tls = fields.tls;
  if (tls !== undefined && tls !== "implicit" && tls !== "starttls" && tls !== "none") {
    throw invalidSource(`Invalid TLS mode ${JSON.stringify(tls)}: implicit, starttls or none.`);
  }
  const caFile = fields.caFile;
  if (caFile !== undefined && (typeof caFile !== "string" || !isAbsolute(caFile))) {
    throw invalidSource("The CA file must be an absolute path to a PEM file.");
  }
  const mailbox = text(fields, "mailbox", "The mailbox");
  const maxEmailBytes =
    wholeNumber(fields, "maxEmailBytes", "The email size limit", 1024, MAX_EMAIL_BYTES) ??
    DEFAULT_MAX_EMAIL_BYTES;
  if (server.after === "move" && server.archive === undefined) {
    throw invalidSource("Moving taken messages needs an archive mailbox (--archive NAME).");
  }
  return {
    ...server,
    ...(tls !== undefined ? { tls } : {}),
    ...(caFile !== undefined ? { caFile: caFile as string } : {}),
    ...(mailbox !== undefined ? { mailbox } : {}),
    maxEmailBytes,
  };
}
