/**
 * Acceptance, end to end: FTP and SFTP sources driven through the real `inflow` CLI processes
 * (secrets set, sources add / poll / ls, and a running `inflow serve` whose scheduler polls them),
 * against real servers on 127.0.0.1, on SQLite (whose database file is searched for the passwords
 * at the end). A shorter PostgreSQL run checks the wrong-then-right password flow there, with the
 * master key given through INFLOW_MASTER_KEY.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { write810, writeJson } from "../../src/formats/samples.js";
import { getSource } from "../../src/ingest/sources.js";
import { containerProgress } from "../../src/invoices/containers.js";
import type { Store } from "../../src/store/types.js";
import { createTestDatabase, type TestDatabase } from "../support/backends.js";
import { startFtpServer } from "../support/ftp-server.js";
import { startSftpServer } from "../support/sftp-server.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Passwords nothing else could contain: found anywhere, they leaked. */
const password = () => `pw-${randomBytes(12).toString("hex")}-Zq9!`;

const KINDS = ["ftp", "sftp"] as const;
type Kind = (typeof KINDS)[number];

/** A test server of either kind, as the test needs it. */
interface Server {
  kind: Kind | "ftps";
  port: number;
  /** The directory on disk that is the server's `/` (and the login directory). */
  root: string;
  user: string;
  /** `sources add` flags this kind needs besides host, port, user and secret. */
  extraArgs: string[];
  close(): Promise<void>;
}

async function startServerOf(kind: Kind | "ftps", rightPassword: string): Promise<Server> {
  if (kind === "sftp") {
    const server = await startSftpServer({ password: rightPassword });
    return {
      kind,
      port: server.port,
      root: server.root,
      user: server.user,
      extraArgs: ["--host-key", server.hostKeyFingerprint],
      close: () => server.close(),
    };
  }
  const server = await startFtpServer({
    password: rightPassword,
    ...(kind === "ftps" ? { tls: "explicit" as const } : {}),
  });
  return {
    kind,
    port: server.port,
    root: server.root,
    user: server.user,
    extraArgs: kind === "ftps" ? ["--ca-file", server.caFile!] : [],
    close: () => server.close(),
  };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface PolledFile {
  name: string;
  size: number;
  status: string;
  state?: string;
  invoices?: number;
  containerId?: string;
  error?: string;
  unpacked?: Array<{ name: string; status: string; state?: string; containerId?: string; error?: string }>;
}
interface Report {
  source: string;
  files: PolledFile[];
  ignored: number;
  taken: number;
  facts?: Record<string, string>;
  error?: string;
}
interface ListedSource {
  name: string;
  kind: string;
  filesTaken: number;
  lastPollAt?: number;
  lastError?: string;
  settings: Record<string, unknown>;
}

/** Every stdout and stderr of every process this file ran, to search for the passwords at the end. */
const outputs: string[] = [];

/** The environment of every child: no master key or endpoint from the developer's shell unless given. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...env };
  if (!("INFLOW_MASTER_KEY" in env)) delete result.INFLOW_MASTER_KEY;
  delete result.INFLOW_ENDPOINT;
  return result;
}

/** `inflow ARGS` to completion as a child process (through tsx), with `input` on its stdin. */
function inflow(args: string[], input = "", env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `inflow serve` on a free port, running until stopped; its output is kept for the search. */
function startServe(db: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "serve", "--host", "127.0.0.1", "--port", "0", ...db],
    { cwd: repoRoot, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      outputs.push(stdout, stderr);
      resolve(code);
    }),
  );
  return {
    output: () => ({ stdout, stderr }),
    async listening(timeoutMillis = 30_000): Promise<string> {
      const until = Date.now() + timeoutMillis;
      for (;;) {
        const found = /Inflow listening on (\S+)/.exec(stdout);
        if (found) return found[1]!;
        if (child.exitCode !== null || Date.now() > until) {
          throw new Error(`inflow serve did not start; stderr:\n${stderr}`);
        }
        await sleep(100);
      }
    },
    async stop(): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

const json = (seed: number, invoices = 2) =>
  [...writeJson({ seed, invoices, minLines: 1, maxLines: 3 })].join("");
const x12 = (seed: number, invoices = 2) =>
  [...write810({ seed, invoices, minLines: 1, maxLines: 3 })].join("");

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

/** Writes files into `dir` under the server's root (made if missing). */
function put(server: Server, dir: string, files: Record<string, string | Buffer>): string {
  const path = join(server.root, dir);
  mkdirSync(path, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  return path;
}

const listing = (path: string) => readdirSync(path).sort();

/** Waits until every container is Done or Error; answers their states in the order of `ids`. */
async function finished(store: Store, ids: string[], timeoutMillis = 30_000): Promise<string[]> {
  const until = Date.now() + timeoutMillis;
  for (;;) {
    const seen = await containerProgress(store, ids);
    const states = ids.map((id) => seen.find((c) => c.id === id)?.state ?? "missing");
    if (states.every((s) => s === "Done" || s === "Error") || Date.now() > until) return states;
    await sleep(100);
  }
}

async function countContainers(store: Store): Promise<number> {
  const [row] = await store.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM containers");
  return Number(row!.n);
}

/** The containers a source made, from its memory of the bytes it took. */
async function containersOf(store: Store, source: string): Promise<string[]> {
  const rows = await store.query<{ container_id: string }>(
    "SELECT container_id FROM source_hashes WHERE source_name = $1 AND container_id IS NOT NULL ORDER BY container_id",
    [source],
  );
  return rows.map((row) => row.container_id);
}

/** The wrong-then-right password flow, on whichever database `database` is. */
function passwordFlow(
  kind: Kind,
  ctx: {
    database: () => TestDatabase;
    store: () => Store;
    server: () => Server;
    env: Record<string, string>;
    wrong: string;
    right: string;
    /** Leaves out the second poll (the PostgreSQL run). */
    compact?: boolean;
  },
) {
  const name = `${kind}-inbox`;
  const secret = `acme/${kind}-password`;
  const seed = kind === "ftp" ? 100 : 200;

  it.sequential("refuses a wrong password with an error naming the server, then takes each file once with the right one", async () => {
    const server = ctx.server();
    const db = ctx.database().args;
    const store = ctx.store();
    const inbox = put(server, "inbox", {
      "a.json": json(seed + 1, 2),
      "b.json": json(seed + 2, 3),
      "c.edi": x12(seed + 3, 2),
      "notes.txt": "not an invoice",
    });
    const where = `${kind}://${server.user}@127.0.0.1:${server.port}`;

    const wrongSet = await inflow(["secrets", "set", secret, ...db], `${ctx.wrong}\n`, ctx.env);
    expect(wrongSet).toMatchObject({ code: 0, stderr: "" });
    const added = await inflow(
      [
        "sources",
        "add",
        name,
        "--kind",
        kind,
        "--host",
        "127.0.0.1",
        "--port",
        String(server.port),
        "--user",
        server.user,
        "--password-secret",
        secret,
        "--directory",
        "inbox",
        "--pattern",
        "*.{json,edi}",
        "--retries",
        "0",
        ...server.extraArgs,
        ...db,
      ],
      "",
      ctx.env,
    );
    expect(added).toMatchObject({ code: 0, stdout: `Added source ${name} (${kind}) for tenant default\n` });

    // A wrong password: the poll fails, naming the server and the refusal; nothing is taken.
    // The kinds run side by side: containers are counted per source.
    const made = async () => (await containersOf(store, name)).length;
    const refused = await inflow(["sources", "poll", name, "--json", ...db], "", ctx.env);
    expect(refused.code).toBe(1);
    const refusedReport = JSON.parse(refused.stdout) as Report;
    expect(refusedReport).toMatchObject({ taken: 0, files: [] });
    expect(refusedReport.error).toContain(where);
    expect(refusedReport.error).toMatch(/(login|authentication) refused/);
    const listedAfterRefusal = JSON.parse(
      (await inflow(["sources", "ls", "--json", ...db], "", ctx.env)).stdout,
    ) as ListedSource[];
    const failedSource = listedAfterRefusal.find((source) => source.name === name)!;
    expect(failedSource).toMatchObject({ kind, filesTaken: 0, lastPollAt: expect.any(Number) });
    expect(failedSource.lastError).toContain(where);
    expect(failedSource.lastError).toMatch(/(login|authentication) refused/);
    expect(await made()).toBe(0);
    expect(listing(inbox)).toEqual(["a.json", "b.json", "c.edi", "notes.txt"]);

    // The right password: the next poll takes each matching file as a container that reaches Done.
    const rightSet = await inflow(["secrets", "set", secret, ...db], `${ctx.right}\n`, ctx.env);
    expect(rightSet).toMatchObject({ code: 0, stderr: "" });
    expect(rightSet.stdout).toMatch(new RegExp(`^Replaced secret ${secret} for tenant default`));
    const polled = await inflow(["sources", "poll", name, "--json", ...db], "", ctx.env);
    expect(polled).toMatchObject({ code: 0 });
    const report = JSON.parse(polled.stdout) as Report;
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ taken: 3, ignored: 1 });
    expect(
      report.files.map(({ name, status, state, invoices }) => ({ name, status, state, invoices })),
    ).toEqual([
      { name: "a.json", status: "taken", state: "Done", invoices: 2 },
      { name: "b.json", status: "taken", state: "Done", invoices: 3 },
      { name: "c.edi", status: "taken", state: "Done", invoices: 2 },
    ]);
    const ids = report.files.map((file) => file.containerId!);
    expect(new Set(ids).size).toBe(3);
    expect(await finished(store, ids)).toEqual(["Done", "Done", "Done"]);
    expect(await containersOf(store, name)).toEqual([...ids].sort());
    // Kept (the default after-action): the server's files are where they were.
    expect(listing(inbox)).toEqual(["a.json", "b.json", "c.edi", "notes.txt"]);

    // The last error is cleared, the files counted (what `sources ls --json` prints, read directly).
    const source = await getSource(store, "default", name);
    expect(source).toMatchObject({ filesTaken: 3, lastPollAt: expect.any(Number) });
    expect(source).not.toHaveProperty("lastError");
    // The source names its secret, never holds its value.
    expect(source.settings).toMatchObject({ passwordSecret: secret, directory: "inbox" });
    if (ctx.compact) return;

    // A second poll takes nothing new: every file is seen, no container is made.
    const again = await inflow(["sources", "poll", name, "--json", ...db], "", ctx.env);
    expect(again.code).toBe(0);
    const againReport = JSON.parse(again.stdout) as Report;
    expect(againReport).toMatchObject({ taken: 0, ignored: 1 });
    expect(againReport.error).toBeUndefined();
    expect(againReport.files.map((file) => [file.name, file.status])).toEqual([
      ["a.json", "seen"],
      ["b.json", "seen"],
      ["c.edi", "seen"],
    ]);
    expect(await made()).toBe(3);
  }, 150_000);
}

describe("FTP and SFTP sources through the inflow CLI on sqlite", () => {
  const database = createTestDatabase("sqlite");
  const dataDir = database.options.dataDir!;
  const db = database.args;
  const wrong = { ftp: password(), sftp: password() };
  const right = { ftp: password(), sftp: password(), ftps: password() };
  const servers = {} as Record<Kind | "ftps", Server>;
  let store: Store;

  beforeAll(async () => {
    for (const kind of [...KINDS, "ftps"] as const) servers[kind] = await startServerOf(kind, right[kind]);
    store = await database.open();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    for (const server of Object.values(servers)) await server.close();
    await database.drop();
  });

  // The kinds run side by side (each on its own server, with its own sources), their steps in order.
  describe.concurrent.each(KINDS)("%s", (kind) => {
    passwordFlow(kind, {
      database: () => database,
      store: () => store,
      server: () => servers[kind],
      env: {},
      wrong: wrong[kind],
      right: right[kind],
    });

    it.sequential("moves taken files, a zip among them, into the archive; the zip's two files become two containers", async () => {
      const server = servers[kind];
      const seed = kind === "ftp" ? 300 : 400;
      const name = `${kind}-moving`;
      const dir = put(server, "moving", {
        "m1.json": json(seed + 1),
        "m2.json": json(seed + 2),
        "batch.zip": await zipOf({ "z1.json": json(seed + 3, 2), "z2.edi": x12(seed + 4, 3) }),
        "readme.txt": "stays",
      });
      const added = await inflow([
        "sources",
        "add",
        name,
        "--kind",
        kind,
        "--host",
        "127.0.0.1",
        "--port",
        String(server.port),
        "--user",
        server.user,
        // Set to the right password by the test before.
        "--password-secret",
        `acme/${kind}-password`,
        "--directory",
        "moving",
        "--pattern",
        "*.{json,zip}",
        "--after",
        "move",
        "--archive",
        "done",
        ...server.extraArgs,
        ...db,
      ]);
      expect(added.code).toBe(0);
      const polled = await inflow(["sources", "poll", name, "--json", ...db]);
      expect(polled.code).toBe(0);
      const report = JSON.parse(polled.stdout) as Report;
      expect(report).toMatchObject({ taken: 4, ignored: 1 });
      expect(report.error).toBeUndefined();
      expect(report.files.map(({ name, status, state, error }) => ({ name, status, state, error }))).toEqual([
        { name: "batch.zip", status: "unpacked", state: undefined, error: undefined },
        { name: "m1.json", status: "taken", state: "Done", error: undefined },
        { name: "m2.json", status: "taken", state: "Done", error: undefined },
      ]);
      const zip = report.files[0]!;
      // `sources poll` waits for a zip's containers too, and notes their end on their rows.
      expect(zip.unpacked!.map(({ name, status, state, error }) => ({ name, status, state, error }))).toEqual(
        [
          { name: "z1.json", status: "taken", state: "Done", error: undefined },
          { name: "z2.edi", status: "taken", state: "Done", error: undefined },
        ],
      );
      const zipIds = zip.unpacked!.map((file) => file.containerId!);
      const ids = [...zipIds, ...report.files.slice(1).map((file) => file.containerId!)];
      expect(new Set(ids).size).toBe(4);
      expect(await containersOf(store, name)).toEqual([...ids].sort());
      const progress = await containerProgress(store, ids);
      expect(ids.map((id) => progress.find((c) => c.id === id)?.state)).toEqual([
        "Done",
        "Done",
        "Done",
        "Done",
      ]);
      // Moved on the server, the zip too; the file not matching the pattern stays.
      expect(listing(dir)).toEqual(["done", "readme.txt"]);
      expect(listing(join(dir, "done"))).toEqual(["batch.zip", "m1.json", "m2.json"]);
    }, 60_000);
  });

  it.concurrent("ftps (explicit TLS, trusting the server's own CA) takes files", async () => {
    const server = servers.ftps;
    const dir = put(server, "tls", { "t1.json": json(701), "t2.edi": x12(702) });
    const secret = "acme/ftps-password";
    expect((await inflow(["secrets", "set", secret, ...db], right.ftps)).code).toBe(0);
    const added = await inflow([
      "sources",
      "add",
      "ftps-tls",
      "--kind",
      "ftps",
      "--host",
      "127.0.0.1",
      "--port",
      String(server.port),
      "--user",
      server.user,
      "--password-secret",
      secret,
      "--directory",
      "tls",
      "--after",
      "delete",
      ...server.extraArgs,
      ...db,
    ]);
    expect(added.code).toBe(0);
    const polled = await inflow(["sources", "poll", "ftps-tls", "--json", ...db]);
    expect(polled.code).toBe(0);
    const report = JSON.parse(polled.stdout) as Report;
    expect(report.files.map(({ name, status, state }) => ({ name, status, state }))).toEqual([
      { name: "t1.json", status: "taken", state: "Done" },
      { name: "t2.edi", status: "taken", state: "Done" },
    ]);
    expect(listing(dir)).toEqual([]);
  }, 60_000);

  it("inflow serve polls scheduled ftp and sftp sources at once, taking their files to Done", async () => {
    const names = KINDS.map((kind) => `${kind}-scheduled`);
    const dirs: string[] = [];
    for (const [i, kind] of KINDS.entries()) {
      const server = servers[kind];
      const seed = kind === "ftp" ? 800 : 900;
      dirs.push(put(server, "scheduled", { "s1.json": json(seed + 1), "s2.json": json(seed + 2, 1) }));
      const added = await inflow([
        "sources",
        "add",
        names[i]!,
        "--kind",
        kind,
        "--host",
        "127.0.0.1",
        "--port",
        String(server.port),
        "--user",
        server.user,
        "--password-secret",
        `acme/${kind}-password`,
        "--directory",
        "scheduled",
        "--after",
        "delete",
        "--schedule",
        "rate(1 minute)",
        ...server.extraArgs,
        ...db,
      ]);
      expect(added.code).toBe(0);
    }
    const before = await countContainers(store);
    const serve = startServe(db);
    try {
      await serve.listening();
      // A never-polled source is due at the scheduler's first tick.
      const until = Date.now() + 30_000;
      let taken: number[] = [];
      while (Date.now() < until) {
        const rows = await store.query<{ name: string; files_taken: number }>(
          "SELECT name, files_taken FROM sources WHERE name IN ($1, $2) ORDER BY name",
          names,
        );
        taken = rows.map((row) => Number(row.files_taken));
        if (taken.every((n) => n === 2)) break;
        await sleep(200);
      }
      expect(taken).toEqual([2, 2]);
      const ids = (await Promise.all(names.map((name) => containersOf(store, name)))).flat();
      expect(ids).toHaveLength(4);
      expect(await finished(store, ids)).toEqual(["Done", "Done", "Done", "Done"]);
      expect(await countContainers(store)).toBe(before + 4);
      for (const dir of dirs) expect(listing(dir)).toEqual([]);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    for (const name of names) {
      const source = await getSource(store, "default", name);
      expect(source).toMatchObject({ filesTaken: 2, lastPollAt: expect.any(Number) });
      expect(source).not.toHaveProperty("lastError");
    }
  }, 90_000);

  it("never lets a password into the database file, its WAL, or any output", async () => {
    const files = ["inflow.db", "inflow.db-wal", "inflow.db-shm"]
      .map((file) => join(dataDir, file))
      .filter((file) => existsSync(file));
    expect(files).toContain(join(dataDir, "inflow.db"));
    const haystacks = [
      ...files.map((file) => ({ where: file, bytes: readFileSync(file) })),
      ...outputs.map((text, i) => ({ where: `output ${i}`, bytes: Buffer.from(text, "utf8") })),
    ];
    // Sanity: the outputs of all the processes above were collected (the serve process's among them).
    expect(outputs.length).toBeGreaterThan(30);
    const passwords = [...Object.values(wrong), ...Object.values(right)];
    for (const value of passwords) {
      const raw = Buffer.from(value, "utf8");
      const forms = [value, raw.toString("hex"), raw.toString("hex").toUpperCase()];
      // Base64 inside a longer text shows the value from its first, second or third byte on,
      // aligned; the last group depends on what follows, so it is left off.
      for (const offset of [0, 1, 2]) {
        for (const encoding of ["base64", "base64url"] as const) {
          forms.push(raw.subarray(offset).toString(encoding).replace(/=+$/, "").slice(0, -4));
        }
      }
      for (const form of forms) {
        const leaks = haystacks
          .filter((hay) => hay.bytes.includes(Buffer.from(form, "utf8")))
          .map((h) => h.where);
        expect(leaks, `${JSON.stringify(form)} found`).toEqual([]);
      }
    }
  }, 30_000);
});

// One kind is enough here: what differs on PostgreSQL is the store, and the master key, which no
// process finds next to the database and each is given through INFLOW_MASTER_KEY.
describe("an SFTP source through the inflow CLI on postgres", () => {
  const database = createTestDatabase("postgres");
  const env = { INFLOW_MASTER_KEY: randomBytes(32).toString("hex") };
  const wrong = password();
  const right = password();
  let server: Server;
  let store: Store;

  beforeAll(async () => {
    server = await startServerOf("sftp", right);
    store = await database.open();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await server?.close();
    await database.drop();
  });

  passwordFlow("sftp", {
    database: () => database,
    store: () => store,
    server: () => server,
    env,
    wrong,
    right,
    compact: true,
  });

  it("keeps no password in any table's row of sources or secrets, nor in any output", async () => {
    const cells = [
      ...(await store.query<Record<string, unknown>>("SELECT * FROM sources")),
      ...(await store.query<Record<string, unknown>>("SELECT * FROM secrets")),
    ]
      .flatMap((row) => Object.values(row))
      .map((value) => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value) ?? "")));
    expect(cells.length).toBeGreaterThan(0);
    for (const value of [wrong, right]) {
      const raw = Buffer.from(value, "utf8");
      for (const form of [value, raw.toString("hex"), raw.toString("base64")]) {
        const needle = Buffer.from(form, "utf8");
        expect(cells.filter((cell) => cell.includes(needle))).toEqual([]);
        expect(cells.filter((cell) => cell.includes(raw))).toEqual([]);
        expect(outputs.filter((output) => output.includes(form))).toEqual([]);
      }
    }
  }, 30_000);
});
