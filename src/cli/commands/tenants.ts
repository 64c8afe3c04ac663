import type { Command } from "commander";
import { createApiKey, listApiKeys, revokeApiKey } from "../../invoices/api-keys.js";
import { InvoicesError } from "../../invoices/errors.js";
import { createTenant, listTenants } from "../../invoices/tenants.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/types.js";
import { CliError } from "../errors.js";
import { table, time, write, writeJson } from "../output.js";
import { type StorageOptions, storeOf, withStorageOptions } from "../storage-options.js";

interface StoreOptions extends StorageOptions {
  json?: boolean;
}

/** Tenants and their API keys are kept in the database: these commands open it directly, as an administrator. */
const withStoreOptions = (command: Command): Command =>
  withStorageOptions(command).option("--json", "print JSON instead of a table");

async function withStore<T>(options: StoreOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOf(options));
  try {
    return await work(store);
  } catch (error) {
    throw error instanceof InvoicesError ? new CliError(error.message) : error;
  } finally {
    await store.close();
  }
}

export function registerTenants(program: Command): void {
  const tenants = program
    .command("tenants")
    .description(
      "Tenants: each sees only its own containers and invoices through /v1, with its own API keys.",
    );
  withStoreOptions(
    tenants
      .command("add")
      .description("Add a tenant (nothing changes if it exists).")
      .argument("<id>", "1 to 64 of A-Za-z0-9_-"),
  )
    .option("--name <name>", "a name for people (default: the id)")
    .action((id: string, options: StoreOptions & { name?: string }) =>
      withStore(options, async (store) => {
        const created = await createTenant(store, { id, ...(options.name ? { name: options.name } : {}) });
        if (options.json) await writeJson({ id, created });
        else await write(`${created ? "Added" : "Already there:"} tenant ${id}\n`);
      }),
    );
  withStoreOptions(tenants.command("ls").description("List the tenants.")).action((options: StoreOptions) =>
    withStore(options, async (store) => {
      const rows = await listTenants(store);
      if (options.json) return writeJson(rows);
      await write(
        table(rows, [
          { header: "ID", value: (row) => row.id },
          { header: "NAME", value: (row) => row.name },
          // The default tenant comes with the database, at no recorded time.
          {
            header: "CREATED",
            value: (row) => time(row.createdAt > 0 ? new Date(row.createdAt) : undefined),
          },
        ]),
      );
    }),
  );

  const keys = program
    .command("keys")
    .description(
      "API keys for /v1 (Authorization: Bearer KEY). Once any key exists, every /v1 caller needs one, on this machine too.",
    );
  withStoreOptions(
    keys
      .command("create")
      .description("Create an API key for a tenant; the key is shown this once (only its hash is kept).")
      .requiredOption("--tenant <id>", "the tenant the key acts for")
      .option("--label <text>", "what the key is for", ""),
  ).action((options: StoreOptions & { tenant: string; label: string }) =>
    withStore(options, async (store) => {
      const { id, key } = await createApiKey(store, options.tenant, options.label);
      if (options.json) await writeJson({ id, tenant: options.tenant, key });
      else
        await write(
          `Key ${id} for tenant ${options.tenant}:\n${key}\nIt is not shown again; keep it secret.\n`,
        );
    }),
  );
  withStoreOptions(
    keys
      .command("ls")
      .description("List the API keys (their ids and labels, never the keys).")
      .option("--tenant <id>", "only this tenant's"),
  ).action((options: StoreOptions & { tenant?: string }) =>
    withStore(options, async (store) => {
      const rows = await listApiKeys(store, options.tenant);
      if (options.json) return writeJson(rows);
      await write(
        table(rows, [
          { header: "ID", value: (row) => row.id },
          { header: "TENANT", value: (row) => row.tenantId },
          { header: "LABEL", value: (row) => row.label },
          { header: "CREATED", value: (row) => time(new Date(row.createdAt)) },
        ]),
      );
    }),
  );
  withStoreOptions(
    keys
      .command("revoke")
      .description("Revoke an API key by its id.")
      .argument("<id>", "the key's id (k_...)"),
  ).action((id: string, options: StoreOptions) =>
    withStore(options, async (store) => {
      if (!(await revokeApiKey(store, id))) throw new CliError(`No API key ${id}.`);
      if (options.json) await writeJson({ id, revoked: true });
      else await write(`Revoked key ${id}\n`);
    }),
  );
}
