import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestError } from "../../src/ingest/errors.js";
import { connectFtp } from "../../src/ingest/ftp.js";
import type { RemoteEntry, Transport } from "../../src/ingest/transport.js";
import type { FtpSettings } from "../../src/ingest/types.js";
import { startFtpServer, type TestFtpServer } from "../support/ftp-server.js";

const settingsFor = (server: TestFtpServer, more: Partial<FtpSettings> = {}): FtpSettings => ({
  host: server.host,
  port: server.port,
  user: server.user,
  after: "keep",
  timeoutSeconds: 5,
  ...more,
});

/** A connection's failure, for assertions on its message. */
async function failureOf(promise: Promise<unknown>): Promise<IngestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IngestError);
  return error as IngestError;
}

/** A port nothing listens on: one the OS just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("ftp transport", () => {
  let server: TestFtpServer;
  let dirs = 0;
  /** A fresh directory on the server per test, so tests do not see each other's files. */
  const freshDir = async () => {
    const name = `t${++dirs}`;
    await mkdir(join(server.root, name));
    return { name, path: join(server.root, name) };
  };
  const open = (directory: string, more: Partial<FtpSettings> = {}) =>
    connectFtp(settingsFor(server, { directory, ...more }), {
      tls: false,
      credentials: { password: server.password },
    });
  const entryOf = async (transport: Transport, name: string): Promise<RemoteEntry> => {
    const entry = (await transport.list()).find((e) => e.name === name);
    if (!entry) throw new Error(`${name} not listed`);
    return entry;
  };

  beforeAll(async () => {
    server = await startFtpServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("lists the plain files with sizes and exact times, not directories", async () => {
    const dir = await freshDir();
    await writeFile(join(dir.path, "a.edi"), "ISA*00*");
    await writeFile(join(dir.path, "b c.csv"), "x".repeat(1234));
    await writeFile(join(dir.path, "empty.json"), "");
    await mkdir(join(dir.path, "sub"));
    await writeFile(join(dir.path, "sub", "inner.edi"), "no");
    // A time in another year: a LIST line would show only its day, MDTM gives the exact time.
    const old = new Date("2024-01-02T03:04:05.000Z");
    await utimes(join(dir.path, "a.edi"), old, old);

    const transport = await open(`/${dir.name}`);
    try {
      const entries = (await transport.list()).sort((x, y) => x.name.localeCompare(y.name));
      expect(entries.map((e) => [e.name, e.size])).toEqual([
        ["a.edi", 7],
        ["b c.csv", 1234],
        ["empty.json", 0],
      ]);
      expect(entries[0]!.mtime).toBe(old.getTime());
      const local = Math.floor((await stat(join(dir.path, "b c.csv"))).mtimeMs);
      expect(entries[1]!.mtime).toBe(local);
      expect(Math.abs(entries[1]!.mtime - Date.now())).toBeLessThan(60_000);
    } finally {
      await transport.close();
    }
  });

  it("lists the login directory when no directory is set", async () => {
    const dir = await freshDir();
    await writeFile(join(server.root, "at-root.edi"), "root");
    const transport = await open("");
    try {
      const names = (await transport.list()).map((e) => e.name);
      expect(names).toContain("at-root.edi");
      expect(names).not.toContain(dir.name);
    } finally {
      await transport.close();
    }
  });

  it("fails naming the directory when it does not exist", async () => {
    const error = await failureOf(open("/no-such-dir"));
    expect(error.name).toBe("SourceConnectionFailed");
    expect(error.message).toContain(`ftp://${server.user}@127.0.0.1:${server.port}`);
    expect(error.message).toContain('cannot open the directory "/no-such-dir"');
  });

  it("fetches a file's exact bytes", async () => {
    const dir = await freshDir();
    const bytes = randomBytes(300_000);
    await writeFile(join(dir.path, "big.bin"), bytes);
    await writeFile(join(dir.path, "small.txt"), "héllo\r\n");
    const transport = await open(dir.name); // relative to the login directory
    try {
      expect((await transport.fetch(await entryOf(transport, "big.bin"), 1_000_000)).equals(bytes)).toBe(
        true,
      );
      expect((await transport.fetch(await entryOf(transport, "small.txt"), 100)).toString()).toBe(
        "héllo\r\n",
      );
    } finally {
      await transport.close();
    }
  });

  it("refuses a file over the limit, and the next fetch still works", async () => {
    const dir = await freshDir();
    const big = randomBytes(500_000);
    await writeFile(join(dir.path, "big.bin"), big);
    await writeFile(join(dir.path, "ok.txt"), "fine");
    const transport = await open(`/${dir.name}`);
    try {
      const entry = await entryOf(transport, "big.bin");
      // Listed as too large: refused without a transfer.
      await expect(transport.fetch(entry, 1000)).rejects.toMatchObject({ name: "FileTooLarge" });
      // Listed small (it grew since): refused while the bytes arrive.
      const error = await transport.fetch({ ...entry, size: 10 }, 1000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IngestError);
      expect(error).toMatchObject({ name: "FileTooLarge", status: 413 });
      expect((error as Error).message).toMatch(
        /^big\.bin: \d+ bytes exceeds the source's limit of 1000 bytes\.$/,
      );

      expect((await transport.fetch(await entryOf(transport, "ok.txt"), 1000)).toString()).toBe("fine");
      expect((await transport.fetch(entry, 1_000_000)).equals(big)).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it("refuses unsafe names before using them as a path", async () => {
    const dir = await freshDir();
    const transport = await open(`/${dir.name}`);
    try {
      const entry = { name: "../t1/a.edi", size: 1, mtime: 0 };
      await expect(transport.fetch(entry, 100)).rejects.toMatchObject({ name: "UnsafeFileName" });
      await expect(transport.remove(entry)).rejects.toMatchObject({ name: "UnsafeFileName" });
      await expect(transport.move(entry, "archive")).rejects.toMatchObject({ name: "UnsafeFileName" });
    } finally {
      await transport.close();
    }
  });

  it("removes a file, and removing it again is no error", async () => {
    const dir = await freshDir();
    await writeFile(join(dir.path, "gone.edi"), "bye");
    await writeFile(join(dir.path, "stays.edi"), "hi");
    const transport = await open(`/${dir.name}`);
    try {
      const entry = await entryOf(transport, "gone.edi");
      await transport.remove(entry);
      await transport.remove(entry);
      expect((await transport.list()).map((e) => e.name)).toEqual(["stays.edi"]);
      expect(await readdir(dir.path)).toEqual(["stays.edi"]);
    } finally {
      await transport.close();
    }
  });

  it("moves into an archive directory it creates, under a free name when taken", async () => {
    const dir = await freshDir();
    const transport = await open(`/${dir.name}`);
    try {
      await writeFile(join(dir.path, "inv.edi"), "first");
      await transport.move(await entryOf(transport, "inv.edi"), "archive/2026");
      await writeFile(join(dir.path, "inv.edi"), "second");
      await transport.move(await entryOf(transport, "inv.edi"), "archive/2026");
      await writeFile(join(dir.path, "inv.edi"), "third");
      await transport.move(await entryOf(transport, "inv.edi"), "archive/2026");

      const archive = join(dir.path, "archive", "2026");
      expect((await readdir(archive)).sort()).toEqual(["inv-1.edi", "inv-2.edi", "inv.edi"]);
      expect(await readFile(join(archive, "inv.edi"), "utf8")).toBe("first");
      expect(await readFile(join(archive, "inv-1.edi"), "utf8")).toBe("second");
      expect(await readFile(join(archive, "inv-2.edi"), "utf8")).toBe("third");
      // Still in the source's directory afterwards: the archive directory is not listed as a file.
      expect(await transport.list()).toEqual([]);
    } finally {
      await transport.close();
    }
  });

  it("moves into an absolute archive directory, and a file already gone is no error", async () => {
    const dir = await freshDir();
    await writeFile(join(dir.path, "x.csv"), "1,2");
    const transport = await open(`/${dir.name}`);
    try {
      const entry = await entryOf(transport, "x.csv");
      await transport.move(entry, `/${dir.name}-archive`);
      await transport.move(entry, `/${dir.name}-archive`);
      expect(await readdir(join(server.root, `${dir.name}-archive`))).toEqual(["x.csv"]);
    } finally {
      await transport.close();
    }
  });

  it("refuses a wrong password, naming the server and not the password", async () => {
    const password = "wrong-Pa55word-123";
    const error = await failureOf(connectFtp(settingsFor(server), { tls: false, credentials: { password } }));
    // Refused, not failed: trying again will not help, so a poll does not retry it.
    expect(error.name).toBe("SourceRefused");
    expect(error.status).toBe(401);
    expect(error.message).toContain(`ftp://${server.user}@127.0.0.1:${server.port}`);
    expect(error.message).toMatch(/login refused \(530 /);
    expect(error.message).not.toContain(password);
    expect(error.message).not.toContain(server.password);
    expect(JSON.stringify(error)).not.toContain(password);
  });

  it("cuts the password out of a server's reply that echoes it", async () => {
    const password = "echoed-Secret-42";
    // A scripted server: it greets, asks for the password, then refuses repeating it.
    const sockets: Socket[] = [];
    const echo: Server = createServer((socket) => {
      sockets.push(socket);
      socket.write("220 ready\r\n");
      socket.on("data", (data) => {
        for (const line of data.toString().split("\r\n").filter(Boolean)) {
          if (line.startsWith("USER")) socket.write("331 password please\r\n");
          else if (line.startsWith("PASS")) socket.write(`530 wrong password ${line.slice(5)}\r\n`);
          else socket.write("500 unknown\r\n");
        }
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const { port } = echo.address() as { port: number };
    try {
      const error = await failureOf(
        connectFtp(settingsFor(server, { port }), { tls: false, credentials: { password } }),
      );
      expect(error.message).toBe(
        `ftp://${server.user}@127.0.0.1:${port}: login refused (530 wrong password [redacted])`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it("is not used after it is closed", async () => {
    const dir = await freshDir();
    const transport = await open(`/${dir.name}`);
    await transport.close();
    await expect(transport.list()).rejects.toThrow(/the connection is closed/);
  });

  it("fails quickly on a closed port", async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await failureOf(
      connectFtp(settingsFor(server, { port }), { tls: false, credentials: { password: server.password } }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toBe(`ftp://${server.user}@127.0.0.1:${port}: connection refused`);
  });

  it("times out on a server that never answers", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const error = await failureOf(
        connectFtp(settingsFor(server, { port, timeoutSeconds: 1 }), {
          tls: false,
          credentials: { password: server.password },
        }),
      );
      expect(Date.now() - started).toBeLessThan(3000);
      expect(error.message).toBe(`ftp://${server.user}@127.0.0.1:${port}: timed out after 1 s`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe.each(["explicit", "implicit"] as const)("ftps transport, %s TLS", (tls) => {
  let server: TestFtpServer;

  beforeAll(async () => {
    server = await startFtpServer({ tls });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("lists, fetches and moves over TLS, trusting the server through caFile", async () => {
    await mkdir(join(server.root, "in"));
    const bytes = randomBytes(100_000);
    await writeFile(join(server.root, "in", "secure.bin"), bytes);
    const transport = await connectFtp(settingsFor(server, { directory: "in", caFile: server.caFile! }), {
      tls,
      credentials: { password: server.password },
    });
    try {
      const entries = await transport.list();
      expect(entries.map((e) => [e.name, e.size])).toEqual([["secure.bin", 100_000]]);
      expect((await transport.fetch(entries[0]!, 200_000)).equals(bytes)).toBe(true);
      // Refused mid-transfer, then reconnected over TLS for the next operation.
      await expect(transport.fetch({ ...entries[0]!, size: 1 }, 1000)).rejects.toMatchObject({
        name: "FileTooLarge",
      });
      await transport.move(entries[0]!, "done");
      expect(await readdir(join(server.root, "in", "done"))).toEqual(["secure.bin"]);
    } finally {
      await transport.close();
    }
  });

  it("refuses a server whose certificate is not trusted", async () => {
    const error = await failureOf(
      connectFtp(settingsFor(server), { tls, credentials: { password: server.password } }),
    );
    expect(error.name).toBe("SourceRefused");
    expect(error.message).toContain(
      `ftps://${server.user}@127.0.0.1:${server.port}: TLS certificate not trusted`,
    );
    expect(error.message).not.toContain(server.password);
  });
});
