import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { writeJson } from "../../src/formats/samples.js";
import { IngestError } from "../../src/ingest/errors.js";
import { createFolderTransport } from "../../src/ingest/folder.js";
import { type PollReport, pollSource } from "../../src/ingest/poll.js";
import { addSource, getSource } from "../../src/ingest/sources.js";
import type { Transport } from "../../src/ingest/transport.js";
import { containerProgress } from "../../src/invoices/containers.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const invoices = (seed: number, count = 2) =>
  [...writeJson({ seed, invoices: count, minLines: 1, maxLines: 3 })].join("");

describe.each(BACKENDS)("polling a folder source on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  const root = mkdtempSync(join(tmpdir(), "inflow-sources-"));
  let server: RunningServer;

  const countContainers = async () =>
    Number((await server.store.query<{ n: number }>("SELECT COUNT(*) AS n FROM containers"))[0]!.n);
  const taken = (report: PollReport) => report.files.filter((file) => file.status === "taken");
  /** Waits until each container is Done or Error and answers their states. */
  async function finished(ids: string[]): Promise<string[]> {
    for (let i = 0; i < 300; i++) {
      const seen = await containerProgress(server.store, ids);
      if (seen.every((c) => c.state === "Done" || c.state === "Error") && seen.length === ids.length) {
        return ids.map((id) => seen.find((c) => c.id === id)!.state);
      }
      await sleep(100);
    }
    throw new Error(`containers ${ids.join(", ")} did not finish`);
  }
  const folder = (name: string) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    server = await startServer(
      dialect === "sqlite"
        ? { data: database.options.dataDir!, host: "127.0.0.1", port: 0 }
        : { data: "", database: database.args[1]!, host: "127.0.0.1", port: 0 },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it("makes a Done container of each dropped file, takes nothing new on a second poll, nor the same bytes under another name", async () => {
    const dir = folder("keep");
    writeFileSync(join(dir, "a.json"), invoices(1));
    writeFileSync(join(dir, "b.json"), invoices(2, 3));
    writeFileSync(join(dir, "notes.txt"), "not an invoice");
    writeFileSync(join(dir, ".upload.json.part"), invoices(3));
    await addSource(server.store, {
      tenantId: "default",
      name: "keep",
      kind: "folder",
      settings: { path: dir, pattern: "*.json" },
    });
    const first = await pollSource(server, "default", "keep");
    expect(first).toMatchObject({ taken: 2, ignored: 1 });
    expect(first.error).toBeUndefined();
    expect(first.files.map((file) => [file.name, file.status])).toEqual([
      ["a.json", "taken"],
      ["b.json", "taken"],
    ]);
    expect(await finished(taken(first).map((file) => file.containerId!))).toEqual(["Done", "Done"]);
    const [container] = await server.store.query<{ name: string; source: string }>(
      "SELECT name, source FROM containers WHERE id = $1",
      [first.files[0]!.containerId!],
    );
    expect(container).toEqual({ name: "a.json", source: "folder" });

    const second = await pollSource(server, "default", "keep");
    expect(second.taken).toBe(0);
    expect(second.files.map((file) => file.status)).toEqual(["seen", "seen"]);

    // The same bytes under another name, and rewritten in place with a new time: no second container.
    writeFileSync(join(dir, "a-copy.json"), invoices(1));
    writeFileSync(join(dir, "b.json"), invoices(2, 3));
    const before = await countContainers();
    const third = await pollSource(server, "default", "keep");
    expect(third.taken).toBe(0);
    expect(third.files.find((file) => file.name === "a-copy.json")).toMatchObject({
      status: "duplicate",
      containerId: first.files[0]!.containerId,
    });
    expect(await countContainers()).toBe(before);
    // Kept: everything is still there.
    expect(readdirSync(dir).sort()).toEqual([
      ".upload.json.part",
      "a-copy.json",
      "a.json",
      "b.json",
      "notes.txt",
    ]);
    const source = await getSource(server.store, "default", "keep");
    expect(source).toMatchObject({ filesTaken: 2 });
    expect(source.lastError).toBeUndefined();
    expect(source.lastPollAt).toBeGreaterThan(0);
  }, 60_000);

  it("test lists what a poll would take and takes nothing", async () => {
    const dir = folder("look");
    writeFileSync(join(dir, "new.json"), invoices(4));
    await addSource(server.store, {
      tenantId: "default",
      name: "look",
      kind: "folder",
      settings: { path: dir },
    });
    const before = await countContainers();
    const report = await pollSource(server, "default", "look", { take: false });
    expect(report.files).toEqual([{ name: "new.json", size: expect.any(Number), status: "new" }]);
    expect(report.taken).toBe(0);
    expect(await countContainers()).toBe(before);
    expect(await getSource(server.store, "default", "look")).toMatchObject({ filesTaken: 0 });
    expect((await getSource(server.store, "default", "look")).lastPollAt).toBeUndefined();
    // A poll afterwards still takes it.
    expect((await pollSource(server, "default", "look")).taken).toBe(1);
  }, 60_000);

  it("deletes or moves taken files as configured", async () => {
    const deleting = folder("delete");
    writeFileSync(join(deleting, "d.json"), invoices(5));
    await addSource(server.store, {
      tenantId: "default",
      name: "delete",
      kind: "folder",
      settings: { path: deleting, after: "delete" },
    });
    expect((await pollSource(server, "default", "delete")).taken).toBe(1);
    expect(readdirSync(deleting)).toEqual([]);

    const moving = folder("move");
    writeFileSync(join(moving, "m.json"), invoices(6));
    await addSource(server.store, {
      tenantId: "default",
      name: "move",
      kind: "folder",
      settings: { path: moving, after: "move", archive: "done" },
    });
    expect((await pollSource(server, "default", "move")).taken).toBe(1);
    expect(readdirSync(moving)).toEqual(["done"]);
    expect(readdirSync(join(moving, "done"))).toEqual(["m.json"]);
    // A second file of that name is archived beside the first, and the archive is never polled.
    writeFileSync(join(moving, "m.json"), invoices(7));
    const again = await pollSource(server, "default", "move");
    expect(again.files).toMatchObject([{ name: "m.json", status: "taken" }]);
    expect(readdirSync(join(moving, "done")).sort()).toEqual(["m-1.json", "m.json"]);
    expect(await finished(again.files.map((file) => file.containerId!))).toEqual(["Done"]);
  }, 60_000);

  it("records a file over the size limit and a name that could escape as errors, and takes the others", async () => {
    const dir = folder("limits");
    writeFileSync(join(dir, "big.json"), invoices(8, 40));
    writeFileSync(join(dir, "small.json"), invoices(9, 1));
    writeFileSync(join(dir, "..\\..\\evil.json"), invoices(10, 1));
    await addSource(server.store, {
      tenantId: "default",
      name: "limits",
      kind: "folder",
      settings: { path: dir, maxFileBytes: 2000 },
    });
    const report = await pollSource(server, "default", "limits");
    expect(report.files).toMatchObject([
      { name: "..\\..\\evil.json", status: "error", error: expect.stringMatching(/could escape/) },
      {
        name: "big.json",
        status: "error",
        error: expect.stringMatching(/exceeds the source's limit of 2000 bytes/),
      },
      { name: "small.json", status: "taken" },
    ]);
    const source = await getSource(server.store, "default", "limits");
    expect(source.filesTaken).toBe(1);
    expect(source.lastError).toMatch(/^2 files failed: .*evil\.json.*big\.json/);

    // A server listing paths: refused by name before anything is fetched or written.
    const dropped = folder("remote");
    writeFileSync(join(dropped, "ok.json"), invoices(11, 1));
    const real = createFolderTransport({ path: dropped });
    const fetched: string[] = [];
    const remote: Transport = {
      ...real,
      list: async () => [
        { name: "../evil.json", size: 10, mtime: 1 },
        { name: "/etc/passwd", size: 10, mtime: 1 },
        { name: "..", size: 10, mtime: 1 },
        { name: "line\nbreak.json", size: 10, mtime: 1 },
        ...(await real.list()),
      ],
      fetch: (entry, max) => {
        fetched.push(entry.name);
        return real.fetch(entry, max);
      },
    };
    await addSource(server.store, {
      tenantId: "default",
      name: "remote",
      kind: "folder",
      settings: { path: dropped, after: "move", archive: "archive" },
    });
    const polled = await pollSource({ ...server, transportFor: () => remote }, "default", "remote");
    expect(polled.files.map((file) => file.status)).toEqual(["error", "error", "error", "error", "taken"]);
    expect(fetched).toEqual(["ok.json"]);
    expect(existsSync(join(dropped, "archive", "ok.json"))).toBe(true);
  }, 60_000);

  it("leaves a file modified within the minimum age for a later poll", async () => {
    const dir = folder("settle");
    writeFileSync(join(dir, "fresh.json"), invoices(13));
    await addSource(server.store, {
      tenantId: "default",
      name: "settle",
      kind: "folder",
      settings: { path: dir, minAgeSeconds: 60 },
    });
    expect(await pollSource(server, "default", "settle")).toMatchObject({
      taken: 0,
      files: [{ name: "fresh.json", status: "settling" }],
    });
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, "fresh.json"), old, old);
    expect(await pollSource(server, "default", "settle")).toMatchObject({
      taken: 1,
      files: [{ name: "fresh.json", status: "taken" }],
    });
  }, 60_000);

  it("shows a missing directory as the source's last error, and a good poll clears it", async () => {
    const dir = join(root, "not-yet");
    await addSource(server.store, {
      tenantId: "default",
      name: "late",
      kind: "folder",
      settings: { path: dir },
    });
    const failed = await pollSource(server, "default", "late");
    expect(failed.error).toMatch(/ENOENT/);
    expect((await getSource(server.store, "default", "late")).lastError).toMatch(/ENOENT/);
    // Other sources are not affected.
    expect((await pollSource(server, "default", "keep")).error).toBeUndefined();

    mkdirSync(dir);
    writeFileSync(join(dir, "late.json"), invoices(12));
    const good = await pollSource(server, "default", "late");
    expect(good).toMatchObject({ taken: 1 });
    const source = await getSource(server.store, "default", "late");
    expect(source.lastError).toBeUndefined();
    expect(source.filesTaken).toBe(1);
  }, 60_000);

  it("fetches over several connections at once, and tries a dropped one again over a new connection", async () => {
    const dir = folder("lanes");
    for (let i = 1; i <= 6; i++) writeFileSync(join(dir, `f${i}.json`), invoices(100 + i));
    await addSource(server.store, {
      tenantId: "default",
      name: "lanes",
      kind: "folder",
      settings: { path: dir, concurrency: 3, retries: 2 },
    });
    let opened = 0;
    let fetching = 0;
    let mostAtOnce = 0;
    let dropped = false;
    const transportFor = (): Transport => {
      opened++;
      const folderTransport = createFolderTransport({ path: dir });
      return {
        ...folderTransport,
        async fetch(entry, maxBytes) {
          fetching++;
          mostAtOnce = Math.max(mostAtOnce, fetching);
          try {
            await sleep(50);
            if (entry.name === "f2.json" && !dropped) {
              dropped = true;
              throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
            }
            return await folderTransport.fetch(entry, maxBytes);
          } finally {
            fetching--;
          }
        },
      };
    };
    const report = await pollSource({ ...server, transportFor, retryWaitMillis: 10 }, "default", "lanes");
    expect(report.error).toBeUndefined();
    expect(report.taken).toBe(6);
    expect(report.files.every((file) => file.status === "taken" && file.error === undefined)).toBe(true);
    expect(mostAtOnce).toBe(3);
    // Three lanes, and the lane whose connection dropped opened another.
    expect(opened).toBe(4);
  }, 60_000);

  it("tries a failing source again with back-off, but not a refused login", async () => {
    const dir = folder("flaky");
    await addSource(server.store, {
      tenantId: "default",
      name: "flaky",
      kind: "folder",
      settings: { path: dir, retries: 2 },
    });
    let opened = 0;
    const failing = (error: Error) => () => {
      opened++;
      throw error;
    };
    const unavailable = await pollSource(
      { ...server, transportFor: failing(new Error("connect ETIMEDOUT")), retryWaitMillis: 10 },
      "default",
      "flaky",
    );
    expect(unavailable.error).toBe("connect ETIMEDOUT");
    expect(opened).toBe(3);

    opened = 0;
    const refused = new IngestError("SourceRefused", "sftp://u@h:22: authentication refused", 401);
    const report = await pollSource(
      { ...server, transportFor: failing(refused), retryWaitMillis: 10 },
      "default",
      "flaky",
    );
    expect(report.error).toBe(refused.message);
    expect(opened).toBe(1);
    expect((await getSource(server.store, "default", "flaky")).lastError).toBe(refused.message);
  }, 60_000);

  it("unpacks a zip into one container per file, and takes none of them again in another zip", async () => {
    const dir = folder("zips");
    const zipOf = (files: Record<string, string>) =>
      new Promise<Buffer>((resolve, reject) => {
        const zip = new yazl.ZipFile();
        for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
        zip.end();
        const chunks: Buffer[] = [];
        zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
        zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
        zip.outputStream.on("error", reject);
      });
    writeFileSync(
      join(dir, "batch.zip"),
      await zipOf({ "a/x.json": invoices(201), "b/y.json": invoices(202) }),
    );
    await addSource(server.store, {
      tenantId: "default",
      name: "zips",
      kind: "folder",
      settings: { path: dir },
    });
    const first = await pollSource(server, "default", "zips");
    expect(first.taken).toBe(2);
    expect(first.files).toMatchObject([
      {
        name: "batch.zip",
        status: "unpacked",
        unpacked: [
          { name: "x.json", status: "taken" },
          { name: "y.json", status: "taken" },
        ],
      },
    ]);
    const ids = first.files[0]!.unpacked!.map((file) => file.containerId!);
    expect(await finished(ids)).toEqual(["Done", "Done"]);

    // The same file again in another archive: known bytes, no new container.
    writeFileSync(join(dir, "again.zip"), await zipOf({ "x.json": invoices(201), "z.json": invoices(203) }));
    const second = await pollSource(server, "default", "zips");
    expect(second.taken).toBe(1);
    expect(second.files.find((file) => file.name === "again.zip")!.unpacked).toMatchObject([
      { name: "x.json", status: "duplicate", containerId: ids[0] },
      { name: "z.json", status: "taken" },
    ]);
  }, 60_000);
});
