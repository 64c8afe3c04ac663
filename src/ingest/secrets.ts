import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DEFAULT_TENANT } from "../invoices/types.js";
import type { Queryable } from "../store/types.js";
import {
  invalidSecretName,
  invalidSecretValue,
  secretNotFound,
  secretUndecryptable,
  secretWrongMasterKey,
} from "./errors.js";
import type { MasterKey } from "./master-key.js";

/**
 * The secret store: credentials (FTP passwords, SSH keys, ...) that a tenant's sources refer to by
 * name.
 *
 * Glossary
 * - Secret: a tenant's name (1 to 128 of A-Za-z0-9_.-/) and a value, kept only as ciphertext. A
 *   tenant's sources see its own secrets only, so no tenant can point a source at another's
 *   credentials.
 * - Sealing (scheme 2): AES-256-GCM under the master key, a fresh random 12-byte IV per write,
 *   the 16-byte tag kept apart, and `inflow-secret/2:` + tenant + NUL + name as additional
 *   authenticated data, so a ciphertext copied to another row (another name or tenant) fails to
 *   decrypt. Scheme 1 (the name alone) is what rows sealed before secrets had tenants carry;
 *   they are the default tenant's, are still read, and are sealed in scheme 2 when set again.
 * - Key id: the fingerprint of the master key a row was sealed under (see `MasterKey.id`).
 *
 * Nothing here logs, and no error carries a value: messages name the secret only.
 */

export const SECRET_NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;
/** Credentials are small; a bigger value is almost certainly the wrong input piped in. */
export const MAX_SECRET_BYTES = 64 * 1024;
const SCHEME = 2;
const SCHEME_BEFORE_TENANTS = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretInfo {
  name: string;
  /** The master key id it is sealed under. */
  keyId: string;
  createdAt: number;
  updatedAt: number;
}

export interface Secrets {
  readonly tenantId: string;
  /** Stores `value` under `name`, replacing any earlier value; answers whether the name is new. */
  set(name: string, value: string): Promise<{ created: boolean }>;
  /** The value in clear, for a source connecting; SecretNotFound when there is none. */
  get(name: string): Promise<string>;
  /** Names with their times, never values, by name. */
  list(): Promise<SecretInfo[]>;
  /** Deletes a secret; answers whether there was one. */
  remove(name: string): Promise<boolean>;
}

/** Reads a tenant's secret by name, in clear: what a source connecting needs. */
export type SecretReader = (tenantId: string, name: string) => Promise<string>;

/**
 * A reader of every tenant's secrets under a master key loaded on first need: a process whose
 * sources need no secret never needs a key. A key that cannot be loaded fails each read with the
 * loader's message (which never holds a value).
 */
export function createSecretReader(db: Queryable, loadKey: () => MasterKey): SecretReader {
  let key: MasterKey | undefined;
  return (tenantId, name) => {
    key ??= loadKey();
    return getSecret(db, key, tenantId, name);
  };
}

/** One tenant's secrets. */
export function createSecrets(
  db: Queryable,
  masterKey: MasterKey,
  tenantId: string = DEFAULT_TENANT,
): Secrets {
  return {
    tenantId,
    set: (name, value) => setSecret(db, masterKey, tenantId, name, value),
    get: (name) => getSecret(db, masterKey, tenantId, name),
    list: () => listSecrets(db, tenantId),
    remove: (name) => removeSecret(db, tenantId, name),
  };
}

export function checkSecretName(name: string): void {
  if (typeof name !== "string" || !SECRET_NAME.test(name)) throw invalidSecretName(String(name));
}

const additionalData = (scheme: number, tenantId: string, name: string) =>
  Buffer.from(
    scheme === SCHEME_BEFORE_TENANTS
      ? `inflow-secret/1:${name}`
      : `inflow-secret/${scheme}:${tenantId}\0${name}`,
    "utf8",
  );

export async function setSecret(
  db: Queryable,
  masterKey: MasterKey,
  tenantId: string,
  name: string,
  value: string,
): Promise<{ created: boolean }> {
  checkSecretName(name);
  if (typeof value !== "string" || value.length === 0) throw invalidSecretValue(name, "the value is empty.");
  const plain = Buffer.from(value, "utf8");
  if (plain.length > MAX_SECRET_BYTES) {
    throw invalidSecretValue(name, `the value is ${plain.length} bytes; the limit is ${MAX_SECRET_BYTES}.`);
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", masterKey.bytes(), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(SCHEME, tenantId, name));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const tag = cipher.getAuthTag();
  plain.fill(0);
  const now = Date.now();
  // `xmax = 0` would tell an insert from an update on PostgreSQL only; asking first is portable,
  // and a race between two writers of one name only makes both report "updated" or "created".
  const existed =
    (await db.query("SELECT 1 FROM secrets WHERE tenant_id = $1 AND name = $2", [tenantId, name])).length > 0;
  await db.run(
    `INSERT INTO secrets (tenant_id, name, scheme, key_id, iv, ciphertext, tag, created_at, updated_at)
     VALUES ($8, $1, $2, $3, $4, $5, $6, $7, $7)
     ON CONFLICT (tenant_id, name) DO UPDATE SET scheme = excluded.scheme, key_id = excluded.key_id, iv = excluded.iv,
       ciphertext = excluded.ciphertext, tag = excluded.tag, updated_at = excluded.updated_at`,
    [name, SCHEME, masterKey.id, iv, ciphertext, tag, now, tenantId],
  );
  return { created: !existed };
}

interface SecretRow {
  scheme: number;
  key_id: string;
  iv: Buffer | Uint8Array;
  ciphertext: Buffer | Uint8Array;
  tag: Buffer | Uint8Array;
}

export async function getSecret(
  db: Queryable,
  masterKey: MasterKey,
  tenantId: string,
  name: string,
): Promise<string> {
  checkSecretName(name);
  const [row] = await db.query<SecretRow>(
    "SELECT scheme, key_id, iv, ciphertext, tag FROM secrets WHERE tenant_id = $1 AND name = $2",
    [tenantId, name],
  );
  if (!row) throw secretNotFound(tenantId, name);
  const scheme = Number(row.scheme);
  if (scheme !== SCHEME && scheme !== SCHEME_BEFORE_TENANTS) {
    throw secretUndecryptable(name, `it is stored in scheme ${row.scheme}, which this Inflow does not know.`);
  }
  if (row.key_id !== masterKey.id) throw secretWrongMasterKey(name, row.key_id, masterKey.id);
  const iv = Buffer.from(row.iv);
  const tag = Buffer.from(row.tag);
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw secretUndecryptable(name, "its stored IV or tag has the wrong length (the row was altered).");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", masterKey.bytes(), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(scheme, tenantId, name));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(Buffer.from(row.ciphertext)), decipher.final()]);
    const value = plain.toString("utf8");
    plain.fill(0);
    return value;
  } catch {
    // The key id matched, so the row itself is not what was sealed under this name.
    throw secretUndecryptable(
      name,
      "authentication failed: the stored ciphertext was altered, or belongs to another name.",
    );
  }
}

export async function listSecrets(db: Queryable, tenantId: string): Promise<SecretInfo[]> {
  const rows = await db.query<{ name: string; key_id: string; created_at: number; updated_at: number }>(
    "SELECT name, key_id, created_at, updated_at FROM secrets WHERE tenant_id = $1",
    [tenantId],
  );
  // Sorted here by code unit: PostgreSQL's collation may order punctuation differently from SQLite.
  rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return rows.map((row) => ({
    name: row.name,
    keyId: row.key_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }));
}

export async function removeSecret(db: Queryable, tenantId: string, name: string): Promise<boolean> {
  checkSecretName(name);
  return (
    (await db.run("DELETE FROM secrets WHERE tenant_id = $1 AND name = $2", [tenantId, name])).changes > 0
  );
}
