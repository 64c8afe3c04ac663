import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2, { type SFTPWrapper } from "ssh2";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IngestError } from "../../src/ingest/errors.js";
import { connectSftp, hostKeyFingerprint } from "../../src/ingest/sftp.js";
import type { Credentials, RemoteEntry, Transport } from "../../src/ingest/transport.js";
import type { SftpSettings } from "../../src/ingest/types.js";
import { generateUserKey, startSftpServer, type TestSftpServer } from "../support/sftp-server.js";

const PASSWORD = "correct horse battery staple";
const userKey = generateUserKey();
const MTIME = Date.UTC(2026, 0, 2, 3, 4, 5);

describe("the sftp transport against a real SFTP server", () => {
  let server: TestSftpServer;
  // Outside the server's root: what a link in the root points to.
  const outside = mkdtempSync(join(tmpdir(), "inflow-sftp-outside-"));
  const open: Transport[] = [];
  let dirs = 0;

  const settings = (more: Partial<SftpSettings> = {}): SftpSettings => ({
    host: server.host,
    port: server.port,
    user: server.user,
    after: "keep",
    timeoutSeconds: 5,
    ...more,
  });
  const connect = async (
    more: Partial<SftpSettings> = {},
    credentials: Credentials = { password: PASSWORD },
  ) => {
    const transport = await connectSftp(settings(more), credentials);
    open.push(transport);
    return transport;
  };
  /** A new directory in the server's root holding `files`; its name, for the `directory` setting. */
  const dirWith = (files: Record<string, string | Buffer>) => {
    const name = `d${++dirs}`;
    mkdirSync(join(server.root, name));
    for (const [file, bytes] of Object.entries(files)) writeFileSync(join(server.root, name, file), bytes);
    return name;
  };
  const entry = (name: string, size = 0): RemoteEntry => ({ name, size, mtime: 0 });
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    return error as IngestError;
  };

  beforeAll(async () => {
    server = await startSftpServer({ password: PASSWORD, authorizedKey: userKey.publicKey });
    writeFileSync(join(server.root, "a.edi"), "ISA*00*...");
    writeFileSync(join(server.root, "b.json"), "{}");
    utimesSync(join(server.root, "a.edi"), MTIME / 1000, MTIME / 1000);
    mkdirSync(join(server.root, "sub"));
    writeFileSync(join(server.root, "sub", "inner.edi"), "x");
    writeFileSync(join(outside, "secret.txt"), "not yours");
    symlinkSync(join(outside, "secret.txt"), join(server.root, "link.edi"));
  });
  afterEach(async () => {
    server.setHook(undefined);
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(outside, { recursive: true, force: true });
  });

  it("lists the login directory's plain files only, with their sizes and times", async () => {
    const transport = await connect();
    const entries = (await transport.list()).sort((x, y) => x.name.localeCompare(y.name));
    expect(entries).toEqual([
      { name: "a.edi", size: 10, mtime: MTIME },
      { name: "b.json", size: 2, mtime: expect.any(Number) },
    ]);
  });

  it("fetches a file's exact bytes, over many reads", async () => {
    const bytes = randomBytes(300_000);
    const dir = dirWith({ "big.bin": bytes, "small.txt": "hello" });
    const transport = await connect({ directory: dir });
    // equals(), not toEqual(): comparing 300 kB element by element takes vitest seconds.
    expect((await transport.fetch(entry("big.bin"), 1_000_000)).equals(bytes)).toBe(true);
    expect((await transport.fetch(entry("small.txt"), 5)).toString()).toBe("hello");
  });

  it("fetches files of every size around the read chunks and windows, up to exactly the limit", async () => {
    const sizes = [
      0,
      1,
      32 * 1024 - 1,
      32 * 1024,
      32 * 1024 + 1,
      16 * 32 * 1024,
      16 * 32 * 1024 + 7,
      2_000_000,
    ];
    const files = Object.fromEntries(sizes.map((size) => [`f${size}.bin`, randomBytes(size)]));
    const transport = await connect({ directory: dirWith(files) });
    for (const size of sizes) {
      const bytes = await transport.fetch(entry(`f${size}.bin`), size);
      expect(bytes.equals(files[`f${size}.bin`]!)).toBe(true);
    }
  });

  it("refuses a file past the limit, and the session goes on", async () => {
    const dir = dirWith({ "big.bin": randomBytes(100_000), "ok.txt": "fine" });
    const transport = await connect({ directory: dir });
    const error = await refusal(transport.fetch(entry("big.bin"), 1000));
    expect(error).toMatchObject({ name: "FileTooLarge", status: 413 });
    expect(error.message).toContain("big.bin");
    expect((await transport.fetch(entry("ok.txt"), 1000)).toString()).toBe("fine");
  });

  it("stops reading a file that grows past the limit while it is read", async () => {
    const dir = dirWith({ "growing.bin": Buffer.alloc(1000), "ok.txt": "fine" });
    const transport = await connect({ directory: dir });
    // Between the size check (LSTAT) and the read, the file grows: only the read can catch it.
    server.setHook(({ op, path }) => {
      if (op === "OPEN" && path.endsWith("growing.bin")) {
        appendFileSync(join(server.root, dir, "growing.bin"), Buffer.alloc(200_000));
      }
    });
    const error = await refusal(transport.fetch(entry("growing.bin"), 50_000));
    expect(error).toMatchObject({ name: "FileTooLarge" });
    // It stopped at the first read past the limit, not at the end of the file.
    expect(Number(/: (\d+) bytes/.exec(error.message)![1])).toBeLessThan(100_000);
    server.setHook(undefined);
    expect((await transport.fetch(entry("ok.txt"), 1000)).toString()).toBe("fine");
  });

  it("refuses to fetch a link or a directory", async () => {
    const transport = await connect();
    expect((await refusal(transport.fetch(entry("link.edi"), 1000))).message).toMatch(/a plain file/);
    expect((await refusal(transport.fetch(entry("sub"), 1000))).message).toMatch(/a plain file/);
  });

  it("removes a file, and removing it again is fine", async () => {
    const dir = dirWith({ "x.edi": "x", "y.edi": "y" });
    const transport = await connect({ directory: dir });
    await transport.remove(entry("x.edi"));
    await transport.remove(entry("x.edi"));
    expect(readdirSync(join(server.root, dir))).toEqual(["y.edi"]);
  });

  it("moves files into a new archive directory, under a free name when taken", async () => {
    const dir = dirWith({ "x.edi": "one" });
    const transport = await connect({ directory: dir });
    await transport.move(entry("x.edi"), "archive/2026");
    writeFileSync(join(server.root, dir, "x.edi"), "two");
    await transport.move(entry("x.edi"), "archive/2026");
    writeFileSync(join(server.root, dir, "x.edi"), "three");
    await transport.move(entry("x.edi"), "archive/2026");
    const archive = join(server.root, dir, "archive", "2026");
    expect(readdirSync(archive).sort()).toEqual(["x-1.edi", "x-2.edi", "x.edi"]);
    expect(readFileSync(join(archive, "x-1.edi"), "utf8")).toBe("two");
    expect(await transport.list()).toEqual([]);
    // Already moved (by another poll): nothing to do.
    await transport.move(entry("x.edi"), "archive/2026");
  });

  it("moves into an absolute archive directory, existing already", async () => {
    const dir = dirWith({ "x.edi": "x" });
    mkdirSync(join(server.root, "kept"), { recursive: true });
    const transport = await connect({ directory: dir });
    await transport.move(entry("x.edi"), "/kept");
    expect(existsSync(join(server.root, "kept", "x.edi"))).toBe(true);
  });

  it("takes files from the directory setting, relative or absolute", async () => {
    const dir = dirWith({ "in.edi": "in" });
    for (const directory of [dir, `/${dir}`, `./${dir}/`]) {
      const transport = await connect({ directory });
      expect((await transport.list()).map((e) => e.name)).toEqual(["in.edi"]);
      expect((await transport.fetch(entry("in.edi"), 10)).toString()).toBe("in");
    }
  });

  it("refuses a wrong password with an error naming the server, not the password", async () => {
    const error = await refusal(connect({}, { password: "wrong-password-123" }));
    expect(error).toBeInstanceOf(IngestError);
    // Refused, not failed: trying again will not help, so a poll does not retry it.
    expect(error).toMatchObject({ name: "SourceRefused", status: 401 });
    expect(error.message).toContain(`sftp://${server.user}@127.0.0.1:${server.port}`);
    expect(error.message).toMatch(/authentication refused/);
    expect(error.message).not.toContain("wrong-password-123");
  });

  it("logs in with the new password after it changes, and no longer with the old", async () => {
    try {
      server.setPassword("a-new-password");
      await refusal(connect());
      const transport = await connect({}, { password: "a-new-password" });
      expect((await transport.list()).length).toBe(2);
    } finally {
      server.setPassword(PASSWORD);
    }
  });

  it("logs in with a private key, and refuses one that is not authorized without showing it", async () => {
    const transport = await connect({}, { privateKey: userKey.privateKey });
    expect((await transport.list()).length).toBe(2);

    const other = generateUserKey();
    const error = await refusal(connect({}, { privateKey: other.privateKey }));
    expect(error).toMatchObject({ name: "SourceRefused" });
    expect(error.message).not.toContain(other.privateKey.split("\n")[1]!);

    const garbage = await refusal(
      connect({}, { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n" }),
    );
    expect(garbage).toMatchObject({ name: "SourceConnectionFailed" });
    expect(garbage.message).not.toContain("not-a-key");
  });

  it("shows the host key it saw, and connects when it is the one pinned", async () => {
    const transport = await connect();
    expect(transport.facts?.hostKey).toBe(server.hostKeyFingerprint);
    expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const pinned = await connect({ hostKey: server.hostKeyFingerprint });
    expect(pinned.facts?.hostKey).toBe(server.hostKeyFingerprint);
  });

  it("refuses a server whose host key is not the one pinned, naming both", async () => {
    const wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const error = await refusal(connect({ hostKey: wrong }));
    expect(error).toMatchObject({ name: "SourceRefused", status: 401 });
    expect(error.message).toMatch(/host key mismatch/);
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(server.hostKeyFingerprint);
  });

  it.skipIf(!hasSshKeygen())("prints fingerprints as ssh-keygen does", () => {
    const file = join(outside, "key.pub");
    writeFileSync(file, `${userKey.publicKey}\n`);
    const printed = execFileSync("ssh-keygen", ["-lf", file], { encoding: "utf8" }).split(" ")[1];
    const blob = Buffer.from(userKey.publicKey.split(" ")[1]!, "base64");
    expect(hostKeyFingerprint(blob)).toBe(printed);
  });

  it("says a refused connection is refused", async () => {
    const closed = await startSftpServer();
    const port = closed.port;
    await closed.close();
    const error = await refusal(connectSftp({ ...settings(), port }, { password: PASSWORD }));
    expect(error).toMatchObject({ name: "SourceConnectionFailed" });
    expect(error.message).toContain(`:${port}`);
    expect(error.message).toMatch(/connection refused/);
  });

  it("times out a server that accepts but never speaks SSH", async () => {
    const silent: NetServer = createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const error = await refusal(
        connectSftp({ ...settings(), port, timeoutSeconds: 1 }, { password: PASSWORD }),
      );
      expect(error).toMatchObject({ name: "SourceConnectionFailed" });
      expect(error.message).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      silent.close();
    }
  });

  it("times out an operation the server does not answer, and fails the next at once", async () => {
    const transport = await connect({ timeoutSeconds: 1 });
    let release = () => {};
    server.setHook(({ op }) =>
      op === "OPENDIR" ? new Promise<void>((done) => (release = done)) : undefined,
    );
    try {
      const started = Date.now();
      expect((await refusal(transport.list())).message).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(4000);
      await refusal(transport.fetch(entry("a.edi"), 100));
    } finally {
      release();
    }
  });

  it("serves several sessions at once and new ones after", async () => {
    const transports = await Promise.all([
      connect(),
      connect(),
      connect({}, { privateKey: userKey.privateKey }),
    ]);
    const lists = await Promise.all(transports.map((t) => t.list()));
    expect(lists.map((l) => l.length)).toEqual([2, 2, 2]);
    await Promise.all(open.splice(0).map((t) => t.close()));
    expect((await (await connect()).list()).length).toBe(2);
  });

  it("the test server refuses paths outside its root", async () => {
    const client = new ssh2.Client();
    await new Promise<void>((ready, fail) => {
      client.once("ready", ready).once("error", fail);
      client.once("connect", () => client.setNoDelay(true));
      client.connect({ host: server.host, port: server.port, username: server.user, password: PASSWORD });
    });
    try {
      const sftp = await new Promise<SFTPWrapper>((done, fail) =>
        client.sftp((e, s) => (e ? fail(e) : done(s))),
      );
      const code = (run: (cb: (error: unknown) => void) => void) =>
        new Promise<unknown>((done) => run((error) => done((error as { code?: number } | undefined)?.code)));
      const DENIED = ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED;
      expect(await code((cb) => sftp.stat("../x", cb))).toBe(DENIED);
      expect(await code((cb) => sftp.open("/../../etc/passwd", "r", cb))).toBe(DENIED);
      expect(await code((cb) => sftp.readdir("..", cb))).toBe(DENIED);
      expect(await code((cb) => sftp.open("link.edi", "r", cb))).toBe(DENIED);
      expect(await code((cb) => sftp.mkdir("../made-outside", cb))).toBe(DENIED);
      expect(await code((cb) => sftp.rename("a.edi", "../a.edi", cb))).toBe(DENIED);
      expect(existsSync(join(server.root, "a.edi"))).toBe(true);
    } finally {
      client.end();
    }
    // And so through the transport: a directory outside the root is not listed.
    const transport = await connect({ directory: "../" });
    expect((await refusal(transport.list())).message).toBe("listing ../: Permission denied");
  });
});

function hasSshKeygen(): boolean {
  return spawnSync("ssh-keygen", ["-?"], { stdio: "ignore" }).error === undefined;
}
