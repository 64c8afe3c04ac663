import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMasterKey } from "../../src/ingest/master-key.js";
import { createSecrets } from "../../src/ingest/secrets.js";
import { openStore } from "../../src/store/open.js";
import { createTestDatabase } from "../support/backends.js";

const SECRET_VALUE = `cli-pw-${randomBytes(12).toString("hex")}-Xy7`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every output of every run, to grep for the value at the end. */
const outputs: string[] = [];

/** `inflow ...` as a child process (through tsx), with `input` on stdin; never INFLOW_MASTER_KEY unless given. */
function inflow(args: string[], input = "", env: Record<string, string> = {}): Promise<Ran> {
  const childEnv = { ...process.env, ...env };
  if (!("INFLOW_MASTER_KEY" in env)) delete childEnv.INFLOW_MASTER_KEY;
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    env: childEnv,
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
  return new Promise((resolve) =>
    child.on("close", (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("inflow secrets on sqlite", () => {
  const database = createTestDatabase("sqlite");
  const dir = database.options.dataDir!;
  const data = ["--data", dir];
  afterAll(() => database.drop());

  it("sets from stdin, lists names only, removes, and leaves no value in any output or file", async () => {
    const set = await inflow(["secrets", "set", "acme/sftp", ...data], `${SECRET_VALUE}\n`);
    expect(set).toMatchObject({ code: 0, stderr: "" });
    expect(set.stdout).toMatch(
      /^Stored secret acme\/sftp for tenant default \(master key mk_[0-9a-f]{16}\)\n$/,
    );
    expect(statSync(join(dir, "master.key")).mode & 0o777).toBe(0o600);

    // Only one trailing newline goes; a CRLF counts as one.
    const again = await inflow(["secrets", "set", "--json", "acme/sftp", ...data], `${SECRET_VALUE}\r\n`);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: "acme/sftp", created: false });
    await inflow(["secrets", "set", "globex.ftp", ...data], "two words \n\n");

    const listed = await inflow(["secrets", "ls", ...data]);
    expect(listed.stdout).toMatch(
      /^NAME\s+MASTER KEY\s+UPDATED\nacme\/sftp\s+mk_\w+\s+\d{4}-.*\nglobex\.ftp\s/,
    );
    const json = JSON.parse((await inflow(["secrets", "ls", "--json", ...data])).stdout) as {
      name: string;
    }[];
    expect(json.map((row) => row.name)).toEqual(["acme/sftp", "globex.ftp"]);

    // What a source connector gets back, through the API with the same key file.
    const store = await openStore({ dataDir: dir });
    try {
      const secrets = createSecrets(store, loadMasterKey({ dataDir: dir, env: {} }));
      expect(await secrets.get("acme/sftp")).toBe(SECRET_VALUE);
      expect(await secrets.get("globex.ftp")).toBe("two words \n");
    } finally {
      await store.close();
    }

    expect(await inflow(["secrets", "rm", "globex.ftp", ...data])).toMatchObject({
      code: 0,
      stdout: "Removed secret globex.ftp\n",
    });
    const gone = await inflow(["secrets", "rm", "globex.ftp", ...data]);
    expect(gone).toMatchObject({ code: 1, stderr: "inflow: Tenant default has no secret globex.ftp.\n" });

    const badName = await inflow(["secrets", "set", "no spaces", ...data], SECRET_VALUE);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/Invalid secret name "no spaces": use 1 to 128 of A-Za-z0-9_.-\//);
    const empty = await inflow(["secrets", "set", "empty", ...data], "\n");
    expect(empty).toMatchObject({
      code: 1,
      stderr: "inflow: The value on stdin is empty; secret empty not stored.\n",
    });

    for (const output of outputs) expect(output).not.toContain(SECRET_VALUE);
    const files = ["inflow.db", "inflow.db-wal"].map((name) => join(dir, name)).filter((f) => existsSync(f));
    for (const file of files) expect(readFileSync(file).includes(Buffer.from(SECRET_VALUE))).toBe(false);
  }, 60_000);

  it("refuses a key file others can read and a bad INFLOW_MASTER_KEY, without echoing either", async () => {
    chmodSync(join(dir, "master.key"), 0o644);
    const open = await inflow(["secrets", "set", "x", ...data], SECRET_VALUE);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(
      /master key file .*master\.key is accessible to group or others \(mode 0644\)/,
    );
    chmodSync(join(dir, "master.key"), 0o600);

    const badKey = randomBytes(24).toString("base64");
    const bad = await inflow(["secrets", "set", "x", ...data], SECRET_VALUE, { INFLOW_MASTER_KEY: badKey });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^inflow: INFLOW_MASTER_KEY is not a 32-byte key/);
    expect(bad.stderr).not.toContain(badKey);
    for (const output of outputs) expect(output).not.toContain(SECRET_VALUE);
  }, 30_000);
});

describe("inflow secrets on postgres", () => {
  const database = createTestDatabase("postgres");
  const keyDir = mkdtempSync(join(tmpdir(), "inflow-key-"));
  afterAll(async () => {
    await database.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("needs INFLOW_MASTER_KEY or --master-key-file, and works with either", async () => {
    const none = await inflow(["secrets", "set", "acme/ftp", ...database.args], SECRET_VALUE);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /No master key: set INFLOW_MASTER_KEY or name a key file \(--master-key-file\)/,
    );

    const keyFile = join(keyDir, "master.key");
    const set = await inflow(
      ["secrets", "set", "acme/ftp", "--master-key-file", keyFile, ...database.args],
      SECRET_VALUE,
    );
    expect(set).toMatchObject({ code: 0, stderr: "" });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const key = randomBytes(32).toString("hex");
    expect(
      (await inflow(["secrets", "set", "globex/ftp", ...database.args], "other", { INFLOW_MASTER_KEY: key }))
        .code,
    ).toBe(0);
    const listed = JSON.parse((await inflow(["secrets", "ls", "--json", ...database.args])).stdout) as {
      name: string;
      keyId: string;
    }[];
    expect(listed.map((row) => row.name)).toEqual(["acme/ftp", "globex/ftp"]);
    expect(listed[0]!.keyId).not.toBe(listed[1]!.keyId);

    const store = await database.open();
    try {
      expect(await createSecrets(store, loadMasterKey({ keyFile, env: {} })).get("acme/ftp")).toBe(
        SECRET_VALUE,
      );
      await expect(
        createSecrets(store, loadMasterKey({ keyFile, env: {} })).get("globex/ftp"),
      ).rejects.toThrow(
        /Secret globex\/ftp was encrypted under master key mk_\w+, but the master key loaded is mk_/,
      );
      const rows = await store.query<Record<string, unknown>>("SELECT * FROM secrets");
      for (const row of rows) {
        for (const value of Object.values(row)) {
          const bytes = value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value));
          expect(bytes.includes(Buffer.from(SECRET_VALUE))).toBe(false);
        }
      }
    } finally {
      await store.close();
    }
    expect((await inflow(["secrets", "rm", "acme/ftp", ...database.args])).code).toBe(0);
    for (const output of outputs) expect(output).not.toContain(SECRET_VALUE);
  }, 60_000);
});
