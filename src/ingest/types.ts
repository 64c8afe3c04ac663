/**
 * Ingestion: how supplier files arrive and become containers.
 *
 * Glossary
 * - Source: a tenant's named place files arrive at (`acme-drop`), with its kind, settings,
 *   schedule and the record of its polls (last poll time, files taken, last error).
 * - Kind: what a source is: `folder` (a local drop directory), `ftp`/`ftps`, `sftp` (polled, each a
 *   transport), or `email` (an address the SMTP listener takes mail for: pushed, not polled).
 * - Transport: what a kind implements (`transport.ts`): list the files there, fetch one's bytes
 *   within a size limit, remove one, move one to an archive directory.
 * - Poll: one pass over a source (`poll.ts`): list, filter by the pattern, skip what was taken,
 *   fetch the rest, hand each to the pipeline as a container, remember it, then apply the
 *   after-action. Scheduled polls run the same `pollSource`.
 * - Taken file: a file a poll made a container of (or found to be the same bytes as one), remembered
 *   by path, size and modification time and by SHA-256 (`taken.ts`), so a re-poll never makes a
 *   second container, even of the same bytes under another name.
 * - After-action: what happens to a taken file at the source: `keep` (it stays, remembered as
 *   taken), `delete`, or `move` into the source's archive directory.
 */

export const SOURCE_KINDS = Object.freeze(["folder", "ftp", "ftps", "sftp", "email", "imap"] as const);
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const AFTER_ACTIONS = Object.freeze(["keep", "delete", "move"] as const);
export type AfterAction = (typeof AFTER_ACTIONS)[number];

/** What every kind's settings have: which files, how large, and what happens to them once taken. */
export interface CommonSettings {
  /** A glob on the file name (not a path): `*.edi`, `inv-??.{csv,json}`; default every file. */
  pattern?: string;
  after: AfterAction;
  /** Where `move` puts taken files; for a folder, absolute or relative to its path. */
  archive?: string;
  /** Files larger than this are not taken (an error on the source); default DEFAULT_MAX_FILE_BYTES. */
  maxFileBytes?: number;
  /**
   * Files modified less than this many seconds ago are left for a later poll: a supplier may still
   * be writing them. Default 0 (take at once).
   */
  minAgeSeconds?: number;
  /** How many files a poll fetches at once, each over its own connection; default 1. */
  concurrency?: number;
  /**
   * How many times a poll tries again to connect, list or fetch after a failure (a dropped
   * connection, a timeout), waiting 1 s, 2 s, 4 s ... between tries; default 2.
   */
  retries?: number;
}

export interface FolderSettings extends CommonSettings {
  /** The drop directory; only its own files are taken, not its subdirectories'. */
  path: string;
}

/**
 * What a server source (ftp, ftps, sftp) has: where to connect, as whom, and the names of the
 * tenant's secrets holding its credentials (never the credentials themselves).
 */
export interface ServerSettings extends CommonSettings {
  host: string;
  /** Default 21 (ftp, explicit ftps), 990 (implicit ftps), 22 (sftp). */
  port?: number;
  user: string;
  /** The name of the tenant's secret holding the password. */
  passwordSecret?: string;
  /** The directory on the server to take files from; default the login directory. */
  directory?: string;
  /** Seconds a connection, a listing or one file's transfer may take; default 30. */
  timeoutSeconds?: number;
}

export interface FtpSettings extends ServerSettings {
  /** ftps only: `explicit` (AUTH TLS on the usual port, the default) or `implicit` (TLS from the start). */
  tls?: "explicit" | "implicit";
  /**
   * ftps only: a PEM file of the certificate authority to trust besides the system's (a
   * supplier's own or self-signed certificate). The server's certificate is always verified.
   */
  caFile?: string;
}

export interface SftpSettings extends ServerSettings {
  /** The name of the tenant's secret holding an OpenSSH private key (PEM), instead of or with a password. */
  privateKeySecret?: string;
  /**
   * The server's host key fingerprint, `SHA256:` and base64 as `ssh-keygen -lf` prints it: the
   * connection is refused when the server shows another. `inflow sources test` prints what the
   * server shows.
   */
  hostKey?: string;
}

/**
 * An email source: the address mail for it is sent to. The SMTP listener takes mail for known
 * addresses only; each attachment matching the pattern becomes a file. Nothing is polled, so
 * `after`, `archive`, `minAgeSeconds` and `concurrency` do not apply (after is always `keep`).
 */
export interface EmailSettings extends CommonSettings {
  /** Lower case, unique over all tenants: `invoices@acme.example`. */
  address: string;
  /** Emails larger than this are refused at the SMTP level; default DEFAULT_MAX_EMAIL_BYTES. */
  maxEmailBytes?: number;
}

/**
 * An IMAP mailbox polled on a schedule: each message's attachments become files, as mail to an
 * email source's address does. `after` applies to the message: `keep` (it stays, remembered),
 * `delete` (flagged deleted and expunged) or `move` into the `archive` mailbox.
 */
export interface ImapSettings extends ServerSettings {
  /** `implicit` (TLS from the start, port 993, the default), `starttls` (port 143), or `none` (a trusted network only). */
  tls?: "implicit" | "starttls" | "none";
  /** A PEM file of a certificate authority to trust besides the system's. */
  caFile?: string;
  /** The mailbox to take messages from; default INBOX. */
  mailbox?: string;
  /** Messages larger than this are left alone (an error on the source); default DEFAULT_MAX_EMAIL_BYTES. */
  maxEmailBytes?: number;
}

/** Settings per kind. */
export interface SettingsByKind {
  folder: FolderSettings;
  ftp: FtpSettings;
  ftps: FtpSettings;
  sftp: SftpSettings;
  email: EmailSettings;
  imap: ImapSettings;
}
export type SourceSettings = SettingsByKind[SourceKind];

interface SourceRecord<K extends SourceKind> {
  tenantId: string;
  name: string;
  kind: K;
  settings: SettingsByKind[K];
  /** `rate(...)` or `cron(...)` (the functions' schedule expressions, in UTC); none: polled on demand only. */
  schedule?: string;
  enabled: boolean;
  createdAt: number;
  /** When the last poll ended (epoch ms). */
  lastPollAt?: number;
  /** Files taken over the source's life. */
  filesTaken: number;
  /** Why the last poll failed, or which of its files did; cleared by a poll without errors. */
  lastError?: string;
}

/** A source; its `kind` tells its settings apart. */
export type Source = { [K in SourceKind]: SourceRecord<K> }[SourceKind];

/** Kinds polled on a schedule (email is pushed to the SMTP listener instead; imap polls a mailbox). */
export const POLLED_KINDS = Object.freeze(["folder", "ftp", "ftps", "sftp", "imap"] as const);
export type PolledKind = (typeof POLLED_KINDS)[number];
export const isPolled = (source: Source): source is Extract<Source, { kind: PolledKind }> =>
  (POLLED_KINDS as readonly string[]).includes(source.kind);

/** The largest email the SMTP listener takes for a source that does not say: 64 MiB. */
export const DEFAULT_MAX_EMAIL_BYTES = 64 * 1024 * 1024;
/** The largest email any source may take: 256 MiB (mail is parsed in memory). */
export const MAX_EMAIL_BYTES = 256 * 1024 * 1024;
