import { createHash } from "node:crypto";
import { posix } from "node:path";
import ssh2, { type ConnectConfig, type SFTPWrapper, type Stats } from "ssh2";
import { IngestError, sourceFileTooLarge } from "./errors.js";
import {
  type Credentials,
  checkFileName,
  DEFAULT_TIMEOUT_SECONDS,
  type RemoteEntry,
  type Transport,
} from "./transport.js";
import type { SftpSettings } from "./types.js";

// ssh2 is CommonJS whose exports Node cannot name for an ES module: take them from the default export.
const { Client, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

/** Bytes asked for per read (what every server answers in one packet), and reads in flight at once. */
const READ_CHUNK = 32 * 1024;
const READ_WINDOW = 16;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** `SHA256:` and the unpadded base64 of the SHA-256 of a host key's wire form: what `ssh-keygen -lf` prints. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Connects to an SFTP server and opens its SFTP subsystem as a transport over `settings.directory`
 * (relative to the login directory, or absolute). The host key is checked against
 * `settings.hostKey` when one is set; the key seen is in `facts.hostKey` either way, so
 * `inflow sources test` can show what to pin.
 *
 * Each operation has the source's timeout: a server that stops answering fails the operation and
 * the connection is dropped, so the poll's remaining operations fail at once instead of each
 * waiting out its own timeout.
 */
export async function connectSftp(settings: SftpSettings, credentials: Credentials): Promise<Transport> {
  const port = settings.port ?? 22;
  const timeoutMs = (settings.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const where = `sftp://${settings.user}@${settings.host}:${port}`;
  const dir = settings.directory ?? ".";
  const client = new Client();
  let seenKey: string | undefined;
  // Set once the connection is unusable (timed out, dropped): later operations fail with it at once.
  let broken: Error | undefined;
  // After `ready`, errors of the connection still arrive as events: unheard, they would end the process.
  client.on("error", (error) => {
    broken ??= new Error(`${where}: the connection failed: ${error.message}`);
  });
  client.on("close", () => {
    broken ??= new Error(`${where}: the connection was closed.`);
  });

  // A refused login or a host key other than the pinned one will not pass by trying again: no retries (see retries.ts).
  const failed = (reason: string, refused: boolean) =>
    new IngestError(
      refused ? "SourceRefused" : "SourceConnectionFailed",
      `Could not connect to ${where}: ${reason}.`,
      refused ? 401 : 502,
    );

  const config: ConnectConfig = {
    host: settings.host,
    port,
    username: settings.user,
    readyTimeout: timeoutMs,
    // Only the user's own methods: no agent, no keyboard prompts.
    ...(credentials.password !== undefined ? { password: credentials.password } : {}),
    ...(credentials.privateKey !== undefined ? { privateKey: credentials.privateKey } : {}),
    hostVerifier: (key: Buffer) => {
      seenKey = hostKeyFingerprint(key);
      return settings.hostKey === undefined || settings.hostKey.trim() === seenKey;
    },
  };

  let sftp: SFTPWrapper;
  try {
    await new Promise<void>((ready, fail) => {
      client.once("ready", ready);
      // Each SFTP request waits for its answer: Nagle's delay would add tens of ms to every one.
      client.once("connect", () => client.setNoDelay(true));
      client.once("error", fail);
      // Closed before ready with no error (the server hung up during the handshake).
      client.once("close", () => fail(new Error("the server closed the connection")));
      // connect() throws at once for settings it cannot use (a private key it cannot parse).
      client.connect(config);
    });
    sftp = await withTimeout(
      new Promise<SFTPWrapper>((opened, fail) =>
        client.sftp((error, session) => (error ? fail(error) : opened(session))),
      ),
      timeoutMs,
      () => new Error("timed out opening the SFTP subsystem"),
    );
  } catch (error) {
    client.destroy();
    const mismatch =
      settings.hostKey !== undefined && seenKey !== undefined && settings.hostKey.trim() !== seenKey;
    const refused = mismatch || (error as { level?: string })?.level === "client-authentication";
    throw failed(connectReason(error, settings.hostKey, seenKey), refused);
  }

  /** One operation under the timeout; on timeout the connection is dropped (see above). */
  async function op<T>(what: string, run: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    if (broken) throw broken;
    try {
      return await withTimeout(run(sftp), timeoutMs, () => {
        broken = new Error(
          `${where}: ${what} timed out after ${timeoutMs / 1000} s; the connection was dropped.`,
        );
        client.destroy();
        return broken;
      });
    } catch (error) {
      // The server's own words ("No such file", "Permission denied") name no path: say what was asked.
      if (error instanceof IngestError || error === broken || !(error instanceof Error)) throw error;
      throw new Error(`${what}: ${error.message}`);
    }
  }

  const pathOf = (entry: RemoteEntry) => posix.join(dir, checkFileName(entry.name));

  return {
    facts: Object.freeze({ hostKey: seenKey! }),

    async list() {
      const found = await op(`listing ${dir}`, (s) =>
        call<{ filename: string; attrs: Stats }[]>((cb) => s.readdir(dir, cb)),
      );
      const entries: RemoteEntry[] = [];
      for (const { filename, attrs } of found) {
        // Mode bits, not the longname's first letter: every server sends attrs, longnames vary.
        if ((attrs.mode & S_IFMT) !== S_IFREG) continue;
        entries.push({ name: filename, size: attrs.size, mtime: attrs.mtime * 1000 });
      }
      return entries;
    },

    async fetch(entry, maxBytes) {
      const path = pathOf(entry);
      return op(`fetching ${path}`, async (s) => {
        // lstat first, as a folder does: a file replaced by a link or a directory since listing is not read.
        const info = await call<Stats>((cb) => s.lstat(path, cb));
        if ((info.mode & S_IFMT) !== S_IFREG) throw new Error(`${entry.name} is no longer a plain file.`);
        if (info.size > maxBytes) throw sourceFileTooLarge(entry.name, info.size, maxBytes);
        const handle = await call<Buffer>((cb) => s.open(path, "r", cb));
        try {
          // Reads in windows of several chunks at once, so a transfer costs one round trip per
          // window, not per chunk (64 MB in 32 kB chunks is 2048 round trips). No window asks for
          // more than a chunk past the limit: a file still growing (or a server misreporting its
          // size) cannot make this read go on without end.
          const chunks: Buffer[] = [];
          let total = 0;
          for (let atEnd = false; !atEnd; ) {
            const count = Math.min(READ_WINDOW, Math.ceil((maxBytes + 1 - total) / READ_CHUNK));
            const pieces = await Promise.all(
              Array.from({ length: count }, (_, i) => readAt(s, handle, total + i * READ_CHUNK)),
            );
            for (const piece of pieces) {
              chunks.push(piece);
              total += piece.length;
              if (total > maxBytes) throw sourceFileTooLarge(entry.name, total, maxBytes);
              // Short: the end of the file, or a server answering less than asked (allowed). The
              // pieces after it do not follow on: the next window starts where this one stopped.
              if (piece.length < READ_CHUNK) {
                atEnd = piece.length === 0;
                break;
              }
            }
          }
          return Buffer.concat(chunks, total);
        } finally {
          // Closed however the read ended, so the session stays usable for the next file.
          await call((cb) => s.close(handle, cb)).catch(() => undefined);
        }
      });
    },

    async remove(entry) {
      const path = pathOf(entry);
      // Already gone (another poll of the source removed it): what was asked for is done.
      await op(`removing ${path}`, (s) => call((cb) => s.unlink(path, cb)).catch(ignoreMissing));
    },

    async move(entry, archiveDir) {
      const from = pathOf(entry);
      const target = posix.isAbsolute(archiveDir) ? archiveDir : posix.join(dir, archiveDir);
      await op(`moving ${from} to ${target}`, async (s) => {
        await ensureDir(s, target);
        const to = await freeName(s, target, entry.name);
        try {
          await call((cb) => s.rename(from, to, cb));
        } catch (error) {
          // Already gone: another poll of the source moved it.
          if (isMissing(error) && !(await exists(s, from))) return;
          throw error;
        }
      });
    },

    async close() {
      // end() says goodbye; the promise waits for the socket to close, but no longer than the timeout.
      if (broken) {
        client.destroy();
        return;
      }
      await withTimeout(
        new Promise<void>((closed) => {
          client.once("close", () => closed());
          client.end();
        }),
        timeoutMs,
        () => new Error("close timed out"),
      ).catch(() => client.destroy());
    },
  };
}

/** Why connecting failed, in words a user can act on; never a credential (ssh2's messages carry none). */
function connectReason(error: unknown, pinned: string | undefined, seen: string | undefined): string {
  const err = error as Error & { level?: string; code?: string };
  const text = err?.message ?? String(error);
  if (pinned !== undefined && seen !== undefined && pinned.trim() !== seen) {
    return `host key mismatch: the server showed ${seen} but the source expects ${pinned.trim()}`;
  }
  if (err?.level === "client-authentication") return `authentication refused for the user (${text})`;
  if (err?.code === "ECONNREFUSED") return "connection refused";
  if (err?.code === "ENOTFOUND" || err?.code === "EAI_AGAIN") return `host not found (${text})`;
  if (err?.level === "client-timeout" || /timed out/i.test(text)) return `timed out (${text})`;
  return text;
}

/** `dir` and its missing parents, made; an existing directory is fine (also one made meanwhile). */
async function ensureDir(s: SFTPWrapper, dir: string): Promise<void> {
  const info = await call<Stats>((cb) => s.stat(dir, cb)).catch((error) =>
    isMissing(error) ? undefined : Promise.reject(error),
  );
  if (info !== undefined) {
    if ((info.mode & S_IFMT) !== S_IFDIR) throw new Error(`${dir} exists and is not a directory.`);
    return;
  }
  const parent = posix.dirname(dir);
  if (parent !== dir) await ensureDir(s, parent);
  try {
    await call((cb) => s.mkdir(dir, cb));
  } catch (error) {
    // Servers answer a generic failure when it exists: made by another poll since the stat.
    const now = await call<Stats>((cb) => s.stat(dir, cb)).catch(() => undefined);
    if (now === undefined || (now.mode & S_IFMT) !== S_IFDIR) throw error;
  }
}

/** `name` in `dir`, or `name` with `-1`, `-2`, ... before its extension when that is taken (as folder.ts). */
async function freeName(s: SFTPWrapper, dir: string, name: string): Promise<string> {
  const ext = posix.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; ; n++) {
    const candidate = posix.join(dir, n === 0 ? name : `${stem}-${n}${ext}`);
    if (!(await exists(s, candidate))) return candidate;
  }
}

async function exists(s: SFTPWrapper, path: string): Promise<boolean> {
  return call<Stats>((cb) => s.lstat(path, cb)).then(
    () => true,
    (error) => (isMissing(error) ? false : Promise.reject(error)),
  );
}

const isMissing = (error: unknown) => (error as { code?: unknown })?.code === STATUS_CODE.NO_SUCH_FILE;

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

/** Up to READ_CHUNK bytes at `position`; empty at the end of the file. */
function readAt(s: SFTPWrapper, handle: Buffer, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(READ_CHUNK);
  return call<number>((cb) => s.read(handle, buffer, 0, READ_CHUNK, position, cb)).then((read) =>
    buffer.subarray(0, read),
  );
}

/** An ssh2 callback call as a promise of its first result. */
function call<T = void>(
  run: (cb: (error: Error | undefined | null, result?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((done, fail) => run((error, result) => (error ? fail(error) : done(result as T))));
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
