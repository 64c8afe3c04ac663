import type { Command } from "commander";
import { IngestError } from "../../ingest/errors.js";
import { MASTER_KEY_ENV, type MasterKey } from "../../ingest/master-key.js";
import {
  checkSecretName,
  listSecrets,
  MAX_SECRET_BYTES,
  removeSecret,
  setSecret,
} from "../../ingest/secrets.js";
import { InvoicesError, tenantNotFound } from "../../invoices/errors.js";
import { tenantExists } from "../../invoices/tenants.js";
import { DEFAULT_TENANT } from "../../invoices/types.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/types.js";
import { CliError } from "../errors.js";
import { table, time, write, writeJson } from "../output.js";
import {
  masterKeyOf,
  type StorageOptions,
  storeOf,
  withMasterKeyOption,
  withStorageOptions,
} from "../storage-options.js";

interface StoreOptions extends StorageOptions {
  tenant: string;
  json?: boolean;
}

/**
 * Secrets are kept in the database, encrypted under the master key: these commands open it
 * directly, as an administrator. A value is read from stdin only (never from the command line,
 * where `ps` and shell history would see it) and is never printed.
 */
const withStoreOptions = (command: Command): Command =>
  withMasterKeyOption(withStorageOptions(command))
    .option("--tenant <id>", "the tenant whose sources use the secret", DEFAULT_TENANT)
    .option("--json", "print JSON instead of text");

async function withStore<T>(options: StoreOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOf(options));
  try {
    return await work(store);
  } catch (error) {
    throw error instanceof IngestError || error instanceof InvoicesError
      ? new CliError(error.message)
      : error;
  } finally {
    await store.close();
  }
}

function masterKeyFor(options: StoreOptions): MasterKey {
  try {
    return masterKeyOf(options);
  } catch (error) {
    throw error instanceof IngestError ? new CliError(error.message) : error;
  }
}

function checkName(name: string): void {
  try {
    checkSecretName(name);
  } catch (error) {
    throw error instanceof IngestError ? new CliError(error.message) : error;
  }
}

/** All of stdin, without one trailing newline (`echo` adds it, and so do most editors). */
async function readValueFromPipe(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += bytes.length;
    // Stop early at a size no secret has, rather than buffering a file piped in by mistake.
    if (size > MAX_SECRET_BYTES + 2) {
      for (const part of chunks) part.fill(0);
      throw new CliError(`The value on stdin exceeds ${MAX_SECRET_BYTES} bytes; nothing was stored.`);
    }
    chunks.push(bytes);
  }
  const all = Buffer.concat(chunks);
  for (const part of chunks) part.fill(0);
  let text = all.toString("utf8");
  all.fill(0);
  if (text.endsWith("\n")) text = text.slice(0, text.endsWith("\r\n") ? -2 : -1);
  return text;
}

/** One line typed at a terminal, not echoed. Multi-line values (keys) are piped in instead. */
function readValueFromTerminal(name: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(`Value for secret ${name} (not echoed; pipe a file for a multi-line value): `);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === "\r" || character === "\n" || character === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (character === "\u0003") {
          finish();
          reject(new CliError("Cancelled; nothing was stored."));
          return;
        }
        if (character === "\u007f" || character === "\b") value = value.slice(0, -1);
        else value += character;
      }
    };
    input.on("data", onData);
  });
}

export function registerSecrets(program: Command): void {
  const secrets = program
    .command("secrets")
    .description(
      `Secrets that sources refer to by name (passwords, keys), encrypted with AES-256-GCM under the master key: ${MASTER_KEY_ENV}, or the key file master.key in the data directory (created with mode 0600 on first need). Values are never shown.`,
    );
  withStoreOptions(
    secrets
      .command("set")
      .description(
        "Store a secret, replacing any earlier value. The value is read from stdin (one trailing newline dropped), never from the command line.",
      )
      .argument("<name>", "1 to 128 of A-Za-z0-9_.-/"),
  ).action((name: string, options: StoreOptions) => {
    checkName(name);
    const masterKey = masterKeyFor(options);
    return (async () => {
      const value = process.stdin.isTTY ? await readValueFromTerminal(name) : await readValueFromPipe();
      if (value.length === 0) throw new CliError(`The value on stdin is empty; secret ${name} not stored.`);
      await withStore(options, async (store) => {
        if (!(await tenantExists(store, options.tenant))) throw tenantNotFound(options.tenant);
        const { created } = await setSecret(store, masterKey, options.tenant, name, value);
        if (options.json) await writeJson({ tenant: options.tenant, name, created, keyId: masterKey.id });
        else
          await write(
            `${created ? "Stored" : "Replaced"} secret ${name} for tenant ${options.tenant} (master key ${masterKey.id})\n`,
          );
      });
    })();
  });
  withStoreOptions(
    secrets.command("ls").description("List the secrets: names and times, never values."),
  ).action((options: StoreOptions) =>
    withStore(options, async (store) => {
      const rows = await listSecrets(store, options.tenant);
      if (options.json) return writeJson(rows);
      await write(
        table(rows, [
          { header: "NAME", value: (row) => row.name },
          { header: "MASTER KEY", value: (row) => row.keyId },
          { header: "UPDATED", value: (row) => time(new Date(row.updatedAt)) },
        ]),
      );
    }),
  );
  withStoreOptions(
    secrets.command("rm").description("Delete a secret.").argument("<name>", "the secret's name"),
  ).action((name: string, options: StoreOptions) => {
    checkName(name);
    return withStore(options, async (store) => {
      if (!(await removeSecret(store, options.tenant, name))) {
        throw new CliError(`Tenant ${options.tenant} has no secret ${name}.`);
      }
      if (options.json) await writeJson({ tenant: options.tenant, name, removed: true });
      else await write(`Removed secret ${name}\n`);
    });
  });
}
