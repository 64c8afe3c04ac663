import { createHash, timingSafeEqual } from "node:crypto";
import type { Stats } from "node:fs";
import {
  chmod,
  type FileHandle,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  utimes,
} from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import ssh2, {
  type Attributes,
  type Connection,
  type FileEntry,
  type ParsedKey,
  type SFTPWrapper,
} from "ssh2";

// ssh2 is CommonJS without named exports Node can detect: take its parts from the default export.
const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

/** One SFTP request as the test server sees it, for `setHook`. */
export interface SftpRequest {
  /** The SFTP request type: OPEN, READ, READDIR, RENAME ... */
  op: string;
  /** The path it names as the client sent it (the first one for RENAME), or "" for handle requests. */
  path: string;
}

export interface TestSftpServer {
  host: string;
  port: number;
  /** The directory on disk the server's `/` is; also the login directory. */
  root: string;
  user: string;
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  setPassword(password: string): void;
  /**
   * Runs `hook` before each SFTP request is handled (undefined: none). A hook that returns a
   * promise holds the request until it settles: tests use it to hang the server or change a file
   * between two requests. A hook that throws fails the request.
   */
  setHook(hook: ((request: SftpRequest) => void | Promise<void>) | undefined): void;
  /** Sessions authenticated so far. */
  readonly logins: number;
  /** Ends every connection, stops listening and removes the root directory. */
  close(): Promise<void>;
}

export interface SftpServerOptions {
  user?: string;
  password?: string;
  /** An OpenSSH public key line (`ssh-ed25519 AAAA... comment`) that may log in as the user. */
  authorizedKey?: string;
}

/** An ed25519 key pair in OpenSSH format, for a client to log in with. */
export function generateUserKey(): { privateKey: string; publicKey: string } {
  const pair = generateEd25519();
  return { privateKey: pair.private, publicKey: pair.public };
}

/**
 * An ed25519 pair from ssh2, generated again until ssh2 can read it back: ssh2 1.17 drops a
 * leading zero byte of the public key (about 1 key in 300), writing a key it then refuses as
 * "Malformed OpenSSH private key".
 */
function generateEd25519(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519");
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) {
      return pair;
    }
  }
}

/** `SHA256:` and the unpadded base64 of the SHA-256 of a public key's wire form, as OpenSSH prints it. */
export const fingerprintOf = (publicKeyBlob: Buffer): string =>
  `SHA256:${createHash("sha256").update(publicKeyBlob).digest("base64").replace(/=+$/, "")}`;

/**
 * A real SSH server on 127.0.0.1 (a free port) serving SFTP from a new temp directory. One user,
 * logging in with a password or the authorized key. Paths are the root's: `/` and the login
 * directory are the root, and a path that resolves outside it (`../x`, a link pointing out) is
 * refused with PERMISSION_DENIED rather than clamped, so tests can see an escape attempt fail.
 */
export async function startSftpServer(options: SftpServerOptions = {}): Promise<TestSftpServer> {
  const user = options.user ?? "inflow";
  let password = options.password ?? "secret";
  const authorized = options.authorizedKey === undefined ? undefined : parseKeyOrThrow(options.authorizedKey);
  let hook: ((request: SftpRequest) => void | Promise<void>) | undefined;
  let logins = 0;

  // The real path: on some systems the temp directory is itself behind a link (macOS /tmp).
  const root = await realpath(await mkdtemp(join(tmpdir(), "inflow-sftp-")));
  const hostKey = generateEd25519();
  const hostKeyFingerprint = fingerprintOf(parseKeyOrThrow(hostKey.private).getPublicSSH());

  const connections = new Set<Connection>();
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections.add(client);
    // Answers go out at once: Nagle's delay would add tens of ms to every SFTP round trip.
    // (ssh2 has Connection.setNoDelay; its types do not say so.)
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    client.on("close", () => connections.delete(client));
    // A client that goes away mid-handshake is no failure of the test server.
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (ctx.username === user && ctx.method === "password" && sameBytes(ctx.password, password)) {
        return ctx.accept();
      }
      if (ctx.username === user && ctx.method === "publickey" && authorized !== undefined) {
        // The key's bytes, not its algorithm name: an RSA key is offered as rsa-sha2-256 or -512.
        const offered = sameBytes(ctx.key.data, authorized.getPublicSSH());
        // Without a signature the client only asks whether the key would do (RFC 4252 §7).
        if (
          offered &&
          (ctx.signature === undefined || authorized.verify(ctx.blob!, ctx.signature, ctx.hashAlgo))
        ) {
          return ctx.accept();
        }
      }
      ctx.reject(authorized === undefined ? ["password"] : ["password", "publickey"]);
    });
    client.on("ready", () => {
      logins++;
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("sftp", (acceptSftp) => serveSftp(acceptSftp(), root, () => hook));
      });
    });
  });

  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    host: "127.0.0.1",
    port,
    root,
    user,
    hostKeyFingerprint,
    setPassword(next) {
      password = next;
    },
    setHook(next) {
      hook = next;
    },
    get logins() {
      return logins;
    },
    async close() {
      for (const client of connections) client.end();
      await new Promise<void>((done) => server.close(() => done()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function parseKeyOrThrow(text: string): ParsedKey {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}

function sameBytes(a: string | Buffer, b: string | Buffer): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A path's place outside the root: the client asked for something it may not have. */
class Refused extends Error {}

type Handle = { kind: "file"; file: FileHandle } | { kind: "dir"; path: string; names: string[] | undefined };

/** Answers one SFTP session's requests from the files under `root`. */
function serveSftp(
  sftp: SFTPWrapper,
  root: string,
  currentHook: () => ((request: SftpRequest) => void | Promise<void>) | undefined,
): void {
  const handles = new Map<string, Handle>();
  let nextHandle = 0;

  /**
   * The real path of `path` (as the client sent it), refused when it lies outside the root:
   * first as written, then, for what exists, where links lead. `follow`: whether the request acts
   * on what a final link points to (OPEN, STAT) or on the link itself (LSTAT, REMOVE, RENAME).
   */
  async function confine(path: string, follow: boolean): Promise<string> {
    const real = resolve(root, path.startsWith("/") ? `.${path}` : path);
    if (!inside(real)) throw new Refused();
    // The nearest existing ancestor (or the path itself) must be inside once its links are followed.
    let existing = follow || real === root ? real : dirname(real);
    for (;;) {
      const linked = await realpath(existing).catch(() => undefined);
      if (linked !== undefined) {
        if (!inside(linked)) throw new Refused();
        return real;
      }
      existing = dirname(existing);
    }
  }
  const inside = (path: string) => path === root || path.startsWith(root + sep);
  const virtual = (real: string) => `/${relative(root, real).split(sep).join("/")}`;

  const newHandle = (value: Handle) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(nextHandle++);
    handles.set(id.toString("hex"), value);
    return id;
  };
  const fileOf = (handle: Buffer) => {
    const found = handles.get(handle.toString("hex"));
    if (found?.kind !== "file") throw Object.assign(new Error("bad handle"), { code: "EBADF" });
    return found.file;
  };

  /** Runs a request: the hook first, then `work`; any failure is answered as an SFTP status. */
  function on(op: string, work: (reqId: number, ...args: never[]) => Promise<void>) {
    sftp.on(op, (reqId: number, ...args: unknown[]) => {
      const path = typeof args[0] === "string" ? args[0] : "";
      (async () => {
        await currentHook()?.({ op, path });
        await work(reqId, ...(args as never[]));
      })().catch((error: unknown) => {
        // The channel may be gone by the time a held request fails.
        try {
          sftp.status(reqId, statusOf(error), error instanceof Error ? error.message : String(error));
        } catch {}
      });
    });
  }
  const ok = (reqId: number) => sftp.status(reqId, STATUS_CODE.OK);

  on("OPEN", async (reqId, path: string, flags: number, attrs: Attributes) => {
    const real = await confine(path, true);
    const mode = attrs?.mode !== undefined ? attrs.mode & 0o7777 : 0o644;
    const fsFlags = utils.sftp.flagsToString(flags);
    if (fsFlags === null) throw new Error(`unsupported open flags ${flags}`);
    const file = await open(real, fsFlags, mode);
    sftp.handle(reqId, newHandle({ kind: "file", file }));
  });
  on("READ", async (reqId, handle: Buffer, offset: number, length: number) => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await fileOf(handle).read(buffer, 0, length, offset);
    if (bytesRead === 0) sftp.status(reqId, STATUS_CODE.EOF);
    else sftp.data(reqId, buffer.subarray(0, bytesRead));
  });
  on("WRITE", async (reqId, handle: Buffer, offset: number, data: Buffer) => {
    await fileOf(handle).write(data, 0, data.length, offset);
    ok(reqId);
  });
  on("FSTAT", async (reqId, handle: Buffer) => sftp.attrs(reqId, attrsOf(await fileOf(handle).stat())));
  on("FSETSTAT", async (reqId, handle: Buffer, attrs: Attributes) => {
    const file = fileOf(handle);
    if (attrs.mode !== undefined) await file.chmod(attrs.mode & 0o7777);
    if (attrs.atime !== undefined && attrs.mtime !== undefined) await file.utimes(attrs.atime, attrs.mtime);
    ok(reqId);
  });
  on("CLOSE", async (reqId, handle: Buffer) => {
    const key = handle.toString("hex");
    const found = handles.get(key);
    if (found === undefined) throw Object.assign(new Error("bad handle"), { code: "EBADF" });
    handles.delete(key);
    if (found.kind === "file") await found.file.close();
    ok(reqId);
  });
  on("OPENDIR", async (reqId, path: string) => {
    const real = await confine(path, true);
    if (!(await stat(real)).isDirectory())
      throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    sftp.handle(reqId, newHandle({ kind: "dir", path: real, names: undefined }));
  });
  on("READDIR", async (reqId, handle: Buffer) => {
    const found = handles.get(handle.toString("hex"));
    if (found?.kind !== "dir") throw Object.assign(new Error("bad handle"), { code: "EBADF" });
    found.names ??= await readdir(found.path);
    // A batch at a time keeps each answer well inside one SFTP packet.
    const batch = found.names.splice(0, 64);
    if (batch.length === 0) return sftp.status(reqId, STATUS_CODE.EOF);
    const entries: FileEntry[] = [];
    for (const name of batch) {
      // lstat: a link is listed as a link, whatever it points to. Gone since readdir: not listed.
      const info = await lstat(join(found.path, name)).catch(() => undefined);
      if (info) entries.push({ filename: name, longname: longnameOf(name, info), attrs: attrsOf(info) });
    }
    sftp.name(reqId, entries);
  });
  on("STAT", async (reqId, path: string) =>
    sftp.attrs(reqId, attrsOf(await stat(await confine(path, true)))),
  );
  on("LSTAT", async (reqId, path: string) =>
    sftp.attrs(reqId, attrsOf(await lstat(await confine(path, false)))),
  );
  on("SETSTAT", async (reqId, path: string, attrs: Attributes) => {
    const real = await confine(path, true);
    if (attrs.mode !== undefined) await chmod(real, attrs.mode & 0o7777);
    if (attrs.atime !== undefined && attrs.mtime !== undefined) await utimes(real, attrs.atime, attrs.mtime);
    ok(reqId);
  });
  on("REMOVE", async (reqId, path: string) => {
    await unlink(await confine(path, false));
    ok(reqId);
  });
  on("MKDIR", async (reqId, path: string) => {
    await mkdir(await confine(path, false));
    ok(reqId);
  });
  on("RMDIR", async (reqId, path: string) => {
    await rmdir(await confine(path, false));
    ok(reqId);
  });
  on("RENAME", async (reqId, from: string, to: string) => {
    const [source, target] = [await confine(from, false), await confine(to, false)];
    // SFTP v3 rename, as OpenSSH does it: an existing target is a failure, not overwritten.
    if (await lstat(target).catch(() => undefined))
      throw Object.assign(new Error("target exists"), { code: "EEXIST" });
    await rename(source, target);
    ok(reqId);
  });
  on("REALPATH", async (reqId, path: string) => {
    const real = await confine(path, true);
    const name = virtual(real);
    sftp.name(reqId, [{ filename: name, longname: name, attrs: {} as Attributes }]);
  });

  // Files a client left open are closed with its session.
  sftp.on("close", () => {
    for (const handle of handles.values())
      if (handle.kind === "file") handle.file.close().catch(() => undefined);
    handles.clear();
  });
}

function statusOf(error: unknown): number {
  if (error instanceof Refused) return STATUS_CODE.PERMISSION_DENIED;
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
    case "ENOTDIR":
      return STATUS_CODE.NO_SUCH_FILE;
    case "EACCES":
    case "EPERM":
      return STATUS_CODE.PERMISSION_DENIED;
    default:
      return STATUS_CODE.FAILURE;
  }
}

const attrsOf = (info: Stats): Attributes => ({
  mode: info.mode,
  uid: info.uid,
  gid: info.gid,
  size: info.size,
  atime: Math.floor(info.atimeMs / 1000),
  mtime: Math.floor(info.mtimeMs / 1000),
});

/** An `ls -l` line, as OpenSSH's server sends with each name. */
function longnameOf(name: string, info: Stats): string {
  const type = info.isDirectory() ? "d" : info.isSymbolicLink() ? "l" : info.isFile() ? "-" : "?";
  const bits = "rwxrwxrwx"
    .split("")
    .map((c, i) => (info.mode & (0o400 >> i) ? c : "-"))
    .join("");
  const date = new Date(info.mtimeMs).toUTCString().slice(5, 22);
  return `${type}${bits} ${info.nlink} ${info.uid} ${info.gid} ${info.size} ${date} ${name}`;
}
