import { createCipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestError } from "../../src/ingest/errors.js";
import { decodeKey, loadMasterKey, MasterKey } from "../../src/ingest/master-key.js";
import { createSecrets, type Secrets } from "../../src/ingest/secrets.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

/** A value no test data, id or key could contain by chance. */
const SECRET_VALUE = `pw-${randomBytes(12).toString("hex")}-Zq9!`;

/** Every encoding in which a careless implementation might have stored the value. */
function traces(value: string): Buffer[] {
  const bytes = Buffer.from(value, "utf8");
  return [
    bytes,
    Buffer.from(value, "utf16le"),
    Buffer.from(bytes.toString("hex")),
    Buffer.from(bytes.toString("base64")),
  ];
}

const containsTrace = (haystack: Buffer, value: string) => traces(value).some((t) => haystack.includes(t));

describe("master key", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "inflow-mk-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("takes INFLOW_MASTER_KEY as 64 hex digits or base64 of 32 bytes", () => {
    const raw = randomBytes(32);
    const hex = loadMasterKey({ env: { INFLOW_MASTER_KEY: raw.toString("hex") } });
    const base64 = loadMasterKey({ env: { INFLOW_MASTER_KEY: raw.toString("base64") } });
    const base64url = loadMasterKey({ env: { INFLOW_MASTER_KEY: raw.toString("base64url") } });
    expect(hex.bytes().equals(raw)).toBe(true);
    expect(base64.id).toBe(hex.id);
    expect(base64url.id).toBe(hex.id);
    expect(hex.source).toBe("INFLOW_MASTER_KEY");
    // The env key wins over a data directory's key file, which is then not created.
    const dir = tempDir();
    loadMasterKey({ dataDir: dir, env: { INFLOW_MASTER_KEY: raw.toString("hex") } });
    expect(existsSync(join(dir, "master.key"))).toBe(false);
  });

  it("refuses INFLOW_MASTER_KEY of another length or encoding, without echoing it", () => {
    for (const bad of [
      randomBytes(16).toString("hex"),
      randomBytes(31).toString("base64"),
      randomBytes(33).toString("base64"),
      `${randomBytes(32).toString("hex")}00`,
      "correct horse battery staple correct horse!",
      "z".repeat(64),
    ]) {
      let caught: unknown;
      try {
        loadMasterKey({ env: { INFLOW_MASTER_KEY: bad } });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(IngestError);
      expect((caught as Error).message).toMatch(/INFLOW_MASTER_KEY is not a 32-byte key/);
      expect((caught as Error).message).not.toContain(bad);
    }
    expect(decodeKey(randomBytes(32).toString("base64"))).toHaveLength(32);
  });

  it("creates master.key with mode 0600 in the data directory on first need, then reads the same key", () => {
    const dir = join(tempDir(), "data");
    const first = loadMasterKey({ dataDir: dir, env: {} });
    const file = join(dir, "master.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.source).toBe(file);
    expect(loadMasterKey({ dataDir: dir, env: {} }).id).toBe(first.id);
    // Nothing is left behind from the atomic creation.
    expect(readFileSync(file, "utf8")).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
  });

  it("refuses a key file that group or others can read, and one that holds no key", () => {
    const dir = tempDir();
    const file = join(dir, "master.key");
    writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => loadMasterKey({ dataDir: dir, env: {} })).toThrow(
      /accessible to group or others \(mode 0644\).*chmod 600/,
    );
    chmodSync(file, 0o640);
    expect(() => loadMasterKey({ keyFile: file, env: {} })).toThrow(/mode 0640/);
    chmodSync(file, 0o600);
    expect(loadMasterKey({ keyFile: file, env: {} }).id).toMatch(/^mk_[0-9a-f]{16}$/);
    writeFileSync(file, "not a key\n");
    expect(() => loadMasterKey({ keyFile: file, env: {} })).toThrow(/does not hold a 32-byte key/);
  });

  it("needs a key source without a data directory, and refuses two at once", () => {
    expect(() => loadMasterKey({ env: {} })).toThrow(
      /No master key: set INFLOW_MASTER_KEY or name a key file/,
    );
    const file = join(tempDir(), "keys", "inflow.key");
    expect(statSync(loadMasterKey({ keyFile: file, env: {} }).source).mode & 0o777).toBe(0o600);
    expect(() =>
      loadMasterKey({ keyFile: file, env: { INFLOW_MASTER_KEY: randomBytes(32).toString("hex") } }),
    ).toThrow(/Both INFLOW_MASTER_KEY and a master key file/);
  });

  it("shows only its id when logged or serialized", () => {
    const raw = randomBytes(32);
    const key = new MasterKey(raw, "test");
    for (const shown of [inspect(key), JSON.stringify(key), String(Object.values(key))]) {
      expect(containsTrace(Buffer.from(shown), raw.toString("latin1"))).toBe(false);
      expect(shown).not.toContain(raw.toString("hex"));
      expect(shown).not.toContain(raw.toString("base64"));
    }
    expect(inspect(key)).toContain(key.id);
  });
});

describe.each(BACKENDS)("secrets on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  const masterKey = new MasterKey(randomBytes(32), "test");
  let store: Store;
  let secrets: Secrets;

  beforeAll(async () => {
    store = await database.open();
    secrets = createSecrets(store, masterKey);
  });
  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  const failure = async (promise: Promise<unknown>): Promise<IngestError> => {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(IngestError);
      return error as IngestError;
    }
    throw new Error("expected a failure");
  };

  it("stores, reads back, lists without values, replaces and removes", async () => {
    const before = Date.now();
    expect(await secrets.set("acme/sftp.password", SECRET_VALUE)).toEqual({ created: true });
    expect(await secrets.set("globex_ftp-1", "ünïcödé ✓ value\nsecond line")).toEqual({ created: true });
    expect(await secrets.get("acme/sftp.password")).toBe(SECRET_VALUE);
    expect(await secrets.get("globex_ftp-1")).toBe("ünïcödé ✓ value\nsecond line");

    const listed = await secrets.list();
    expect(listed.map((row) => row.name)).toEqual(["acme/sftp.password", "globex_ftp-1"]);
    expect(listed[0]!.keyId).toBe(masterKey.id);
    expect(listed[0]!.updatedAt).toBeGreaterThanOrEqual(before);
    expect(JSON.stringify(listed)).not.toContain(SECRET_VALUE);

    expect(await secrets.set("globex_ftp-1", "new value")).toEqual({ created: false });
    expect(await secrets.get("globex_ftp-1")).toBe("new value");
    expect(await secrets.remove("globex_ftp-1")).toBe(true);
    expect(await secrets.remove("globex_ftp-1")).toBe(false);
    const missing = await failure(secrets.get("globex_ftp-1"));
    expect(missing).toMatchObject({
      name: "SecretNotFound",
      message:
        "Tenant default has no secret globex_ftp-1: store it with `inflow secrets set globex_ftp-1 --tenant default`.",
    });
  });

  it("keeps each tenant's secrets apart: same names, own values, and a row moved across tenants does not open", async () => {
    const acme = createSecrets(store, masterKey, "acme");
    await secrets.set("shared-name", "default's value");
    await acme.set("shared-name", SECRET_VALUE);
    expect(await secrets.get("shared-name")).toBe("default's value");
    expect(await acme.get("shared-name")).toBe(SECRET_VALUE);
    expect((await acme.list()).map((row) => row.name)).toEqual(["shared-name"]);
    await acme.set("acme-only", "x");
    expect((await failure(secrets.get("acme-only"))).name).toBe("SecretNotFound");

    // acme's sealed row under default's name: the tenant is authenticated data too.
    const [row] = await store.query<{ iv: Buffer; ciphertext: Buffer; tag: Buffer }>(
      "SELECT iv, ciphertext, tag FROM secrets WHERE tenant_id = $1 AND name = $2",
      ["acme", "shared-name"],
    );
    await store.run(
      "UPDATE secrets SET iv = $1, ciphertext = $2, tag = $3 WHERE tenant_id = $4 AND name = $5",
      [Buffer.from(row!.iv), Buffer.from(row!.ciphertext), Buffer.from(row!.tag), "default", "shared-name"],
    );
    const moved = await failure(secrets.get("shared-name"));
    expect(moved.name).toBe("SecretUndecryptable");
    expect(moved.message).not.toContain(SECRET_VALUE);
  });

  it("still reads a row sealed before secrets had tenants (scheme 1, the default tenant's)", async () => {
    // Sealed as scheme 1 did: the name alone as authenticated data.
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", masterKey.bytes(), iv);
    cipher.setAAD(Buffer.from("inflow-secret/1:legacy"));
    const ciphertext = Buffer.concat([cipher.update(SECRET_VALUE, "utf8"), cipher.final()]);
    await store.run(
      `INSERT INTO secrets (tenant_id, name, scheme, key_id, iv, ciphertext, tag, created_at, updated_at)
       VALUES ('default', 'legacy', 1, $1, $2, $3, $4, 0, 0)`,
      [masterKey.id, iv, ciphertext, cipher.getAuthTag()],
    );
    expect(await secrets.get("legacy")).toBe(SECRET_VALUE);
    await secrets.set("legacy", SECRET_VALUE);
    const [resealed] = await store.query<{ scheme: number }>(
      "SELECT scheme FROM secrets WHERE name = 'legacy'",
    );
    expect(Number(resealed!.scheme)).toBe(2);
    expect(await secrets.get("legacy")).toBe(SECRET_VALUE);
  });

  it("keeps only ciphertext, with a fresh IV on every write", async () => {
    await secrets.set("iv-check", SECRET_VALUE);
    const [first] = await store.query<{ iv: Buffer; ciphertext: Buffer }>(
      "SELECT iv, ciphertext FROM secrets WHERE name = $1",
      ["iv-check"],
    );
    await secrets.set("iv-check", SECRET_VALUE);
    const rows = await store.query<Record<string, unknown>>("SELECT * FROM secrets");
    const second = rows.find((row) => row.name === "iv-check")!;
    expect(Buffer.from(first!.iv)).toHaveLength(12);
    expect(Buffer.from(second.iv as Buffer).equals(Buffer.from(first!.iv))).toBe(false);
    expect(Buffer.from(second.ciphertext as Buffer).equals(Buffer.from(first!.ciphertext))).toBe(false);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        const bytes =
          Buffer.isBuffer(value) || value instanceof Uint8Array
            ? Buffer.from(value)
            : Buffer.from(String(value));
        expect(containsTrace(bytes, SECRET_VALUE)).toBe(false);
      }
    }
  });

  it("refuses names outside 1 to 128 of A-Za-z0-9_.-/ and empty or oversized values", async () => {
    for (const name of ["", "a b", "x".repeat(129), "semi;colon", "new\nline", "ü", "back\\slash"]) {
      expect((await failure(secrets.set(name, "v"))).name).toBe("InvalidSecretName");
      expect((await failure(secrets.get(name))).name).toBe("InvalidSecretName");
    }
    expect(await secrets.set("x".repeat(128), "v")).toEqual({ created: true });
    expect(await secrets.set("A-z_0.9/-", "v")).toEqual({ created: true });
    const empty = await failure(secrets.set("empty", ""));
    expect(empty).toMatchObject({
      name: "InvalidSecretValue",
      message: "Secret empty not stored: the value is empty.",
    });
    const big = await failure(secrets.set("big", `${SECRET_VALUE}${"x".repeat(70_000)}`));
    expect(big.message).toMatch(/^Secret big not stored: the value is 70\d{3} bytes; the limit is 65536\.$/);
  });

  it("fails clearly, naming the secret and never its value, on a tampered row or a moved ciphertext", async () => {
    await secrets.set("tampered", SECRET_VALUE);
    const [row] = await store.query<{ ciphertext: Buffer; iv: Buffer; tag: Buffer }>(
      "SELECT ciphertext, iv, tag FROM secrets WHERE name = $1",
      ["tampered"],
    );
    const flipped = Buffer.from(row!.ciphertext);
    flipped[0] = flipped[0]! ^ 1;
    await store.run("UPDATE secrets SET ciphertext = $1 WHERE name = $2", [flipped, "tampered"]);
    const tampered = await failure(secrets.get("tampered"));
    expect(tampered.name).toBe("SecretUndecryptable");
    expect(tampered.message).toMatch(/^Secret tampered cannot be decrypted: authentication failed/);
    expect(tampered.message).not.toContain(SECRET_VALUE);

    // Another name's intact row, copied whole: the name is authenticated data, so it does not open.
    await secrets.set("moved", "something else");
    await store.run("UPDATE secrets SET ciphertext = $1, iv = $2, tag = $3 WHERE name = $4", [
      Buffer.from(row!.ciphertext),
      Buffer.from(row!.iv),
      Buffer.from(row!.tag),
      "moved",
    ]);
    const moved = await failure(secrets.get("moved"));
    expect(moved.message).toMatch(/^Secret moved cannot be decrypted: .*belongs to another name/);
    expect(moved.message).not.toContain(SECRET_VALUE);
  });

  it("fails clearly under a different master key, naming both key ids", async () => {
    await secrets.set("other-key", SECRET_VALUE);
    const other = new MasterKey(randomBytes(32), "other");
    const error = await failure(createSecrets(store, other).get("other-key"));
    expect(error.name).toBe("SecretWrongMasterKey");
    expect(error.message).toContain(`Secret other-key was encrypted under master key ${masterKey.id}`);
    expect(error.message).toContain(`the master key loaded is ${other.id}`);
    expect(error.message).not.toContain(SECRET_VALUE);
    // A row claiming the loaded key's id still has to authenticate under it.
    await store.run("UPDATE secrets SET key_id = $1 WHERE name = $2", [other.id, "other-key"]);
    expect((await failure(createSecrets(store, other).get("other-key"))).name).toBe("SecretUndecryptable");
  });

  it.runIf(dialect === "sqlite")("leaves no trace of a value in the database file or its WAL", async () => {
    await secrets.set("grep-me", SECRET_VALUE);
    expect(await secrets.get("grep-me")).toBe(SECRET_VALUE);
    const dir = database.options.dataDir!;
    const files = ["inflow.db", "inflow.db-wal"].map((name) => join(dir, name)).filter((f) => existsSync(f));
    // The files are read for real: the name is in them, the value is not.
    expect(files.some((file) => readFileSync(file).includes(Buffer.from("grep-me")))).toBe(true);
    for (const file of files) expect(containsTrace(readFileSync(file), SECRET_VALUE)).toBe(false);
  });
});
