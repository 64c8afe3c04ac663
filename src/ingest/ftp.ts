import { isIP, isIPv6 } from "node:net";
import { posix } from "node:path";
import { Writable } from "node:stream";
import type { ConnectionOptions } from "node:tls";
import { Client, FileType, FTPError } from "basic-ftp";
import { IngestError, sourceFileTooLarge } from "./errors.js";
import { isUntrustedCertificate, redact, TLS_TRUST_CODES, trustedCas } from "./tls-trust.js";
import {
  type Credentials,
  checkFileName,
  DEFAULT_TIMEOUT_SECONDS,
  type RemoteEntry,
  type Transport,
} from "./transport.js";
import type { FtpSettings } from "./types.js";

/**
 * An FTP or FTPS server as a transport (basic-ftp). One control connection per transport, opened
 * here and reopened transparently when it was closed: basic-ftp closes the whole client on any
 * socket error or timeout, and on a download refused for its size, and the next file of the poll
 * should not fail for that.
 *
 * TLS certificates are always verified, against the system's CAs plus `caFile` when given.
 */
export async function connectFtp(
  settings: FtpSettings,
  options: { tls: false | "explicit" | "implicit"; credentials: Credentials },
): Promise<Transport> {
  const timeoutSeconds = settings.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const port = settings.port ?? (options.tls === "implicit" ? 990 : 21);
  const host = isIPv6(settings.host) ? `[${settings.host}]` : settings.host;
  // How the server is named in errors: never with the password.
  const server = `${options.tls ? "ftps" : "ftp"}://${settings.user}@${host}:${port}`;
  const password = options.credentials.password;
  // A refused login or an untrusted certificate will not pass by trying again: no retries (see retries.ts).
  const fail = (message: string, refused = false) =>
    new IngestError(
      refused ? "SourceRefused" : "SourceConnectionFailed",
      redact(`${server}: ${message}`, password),
      refused ? 401 : 502,
    );

  let secureOptions: ConnectionOptions | undefined;
  if (options.tls) {
    secureOptions = {
      // An unreadable CA file is the source's mistake: refused, not tried again.
      ca: await trustedCas(settings.caFile, (reason) => fail(reason, true)),
      // SNI only for names: Node refuses (with a warning) an IP address as the server name.
      ...(isIP(settings.host) ? {} : { servername: settings.host }),
    };
  }

  const client = new Client(timeoutSeconds * 1000);
  /** The absolute directory files are taken from; every operation leaves the client there. */
  let home = "/";

  async function open(): Promise<void> {
    // Set inside the attempt; the cast keeps TS from narrowing it to its first value.
    let stage = "login" as "login" | "directory";
    const attempt = (async () => {
      await client.access({
        host: settings.host,
        port,
        user: settings.user,
        password: password ?? "",
        secure: options.tls === "implicit" ? "implicit" : options.tls === "explicit",
        // A copy: basic-ftp adds to the object it is given.
        ...(secureOptions ? { secureOptions: { ...secureOptions } } : {}),
      });
      stage = "directory";
      if (settings.directory) await client.cd(settings.directory);
      home = await client.pwd();
    })();
    // basic-ftp's timeout covers a command awaiting its answer, not a TLS handshake: one deadline
    // over the whole login makes a server that stalls anywhere fail in time.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (timeoutSeconds > 0)
        timer = setTimeout(() => reject(new Error("Timeout (login)")), timeoutSeconds * 1000);
    });
    attempt.catch(() => undefined); // when the deadline wins, the attempt's own failure is of no interest
    try {
      await Promise.race([attempt, deadline]);
    } catch (error) {
      client.close();
      const why = reason(error, timeoutSeconds);
      throw fail(
        stage === "directory"
          ? `cannot open the directory ${JSON.stringify(settings.directory)} (${why})`
          : why,
        isRefusal(error),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  let closed = false;
  /** The client, logged in again if its connection was closed since the last operation. */
  async function session(): Promise<Client> {
    // Closed by its user, the transport stays closed: no reconnecting behind their back.
    if (closed) throw new Error(`${server}: the connection is closed.`);
    if (client.closed) await open();
    return client;
  }

  /** Whether `name` is still in the directory: a 550 on a file that is gone means it is done. */
  async function stillThere(name: string): Promise<boolean> {
    return (await (await session()).list()).some((file) => file.name === name);
  }

  await open();

  return {
    async list() {
      const ftp = await session();
      const entries: RemoteEntry[] = [];
      // MLSD listings carry exact times; LIST ones are for reading (no year, minutes), so the
      // time then comes from MDTM, one command per file, and from nowhere (0) if that is refused.
      let mdtmWorks = true;
      for (const file of await ftp.list()) {
        if (file.type !== FileType.File) continue;
        let mtime = file.modifiedAt?.getTime();
        if (mtime === undefined || Number.isNaN(mtime)) {
          mtime = 0;
          // An unsafe name is reported by the poller; it is not sent back to the server as a path.
          if (mdtmWorks && isSafe(file.name)) {
            try {
              const modified = (await ftp.lastMod(file.name)).getTime();
              if (!Number.isNaN(modified)) mtime = modified;
            } catch (error) {
              if (!(error instanceof FTPError)) throw error;
              if (error.code === 550) continue; // gone since the listing: not listed
              mdtmWorks = false; // not supported: not asked again for each file
            }
          }
        }
        entries.push({ name: file.name, size: file.size, mtime: Math.floor(mtime) });
      }
      return entries;
    },

    async fetch(entry, maxBytes) {
      const name = checkFileName(entry.name);
      if (entry.size > maxBytes) throw sourceFileTooLarge(name, entry.size, maxBytes);
      const ftp = await session();
      // The listed size may be stale (a supplier still writing): the limit is held on the bytes
      // as they arrive. Failing the write destroys the stream, and basic-ftp then closes the
      // connection, which stops the transfer; `session()` reconnects for the next file.
      const chunks: Buffer[] = [];
      let received = 0;
      let tooLarge = false;
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          received += chunk.length;
          if (received > maxBytes) {
            tooLarge = true;
            callback(sourceFileTooLarge(name, received, maxBytes));
            return;
          }
          chunks.push(chunk);
          callback();
        },
      });
      try {
        await ftp.downloadTo(sink, name);
      } catch (error) {
        throw tooLarge ? sourceFileTooLarge(name, received, maxBytes) : error;
      }
      return Buffer.concat(chunks, received);
    },

    async remove(entry) {
      const name = checkFileName(entry.name);
      const ftp = await session();
      try {
        await ftp.remove(name);
      } catch (error) {
        // 550 is also "permission denied": only a file really gone counts as removed.
        if (error instanceof FTPError && error.code === 550 && !(await stillThere(name))) return;
        throw error;
      }
    },

    async move(entry, archiveDir) {
      const name = checkFileName(entry.name);
      const ftp = await session();
      // Relative to the source's directory, as a folder's archive is to its path.
      const target = posix.resolve(home, archiveDir);
      let taken: Set<string>;
      try {
        // Creates what is missing and enters it, where the listing shows which names are taken.
        await ftp.ensureDir(target);
        taken = new Set((await ftp.list()).map((file) => file.name));
      } finally {
        if (!ftp.closed) await ftp.cd(home);
      }
      try {
        await ftp.rename(name, posix.join(target, freeName(taken, name)));
      } catch (error) {
        // Already gone: another poll of the source moved it.
        if (error instanceof FTPError && error.code === 550 && !(await stillThere(name))) return;
        throw error;
      }
    },

    async close() {
      closed = true;
      client.close();
    },
  };
}

const isSafe = (name: string) => {
  try {
    checkFileName(name);
    return true;
  } catch {
    return false;
  }
};

/** `name`, or `name` with `-1`, `-2`, ... before its extension when that is taken (as folder.ts). */
function freeName(taken: Set<string>, name: string): string {
  const ext = posix.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? name : `${stem}-${n}${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** A login the server refused, or a certificate this machine does not trust. */
const isRefusal = (error: unknown): boolean =>
  (error instanceof FTPError && error.code === 530) || isUntrustedCertificate(error);

/** Why connecting failed, in words an operator acts on. */
function reason(error: unknown, timeoutSeconds: number): string {
  if (error instanceof FTPError) {
    // The server's own reply, e.g. "530 Login incorrect."
    const reply = error.message.trim();
    return error.code === 530 ? `login refused (${reply})` : `refused (${reply})`;
  }
  const { code, message = String(error) } = error as NodeJS.ErrnoException;
  // basic-ftp appends which socket failed: noise to an operator.
  const text = message.replace(/ \((control|data) socket\)$/, "");
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ECONNRESET" || /^Socket closed/.test(text)) return "connection closed by the server";
  if (code === "ETIMEDOUT" || /^Timeout \(/.test(message)) return `timed out after ${timeoutSeconds} s`;
  if (code !== undefined && TLS_TRUST_CODES.has(code)) return `TLS certificate not trusted (${text})`;
  return text;
}

/**
 * A server may echo what it was sent in its reply: the password is cut out of any message made
 * while logging in, whatever its source.
 */
