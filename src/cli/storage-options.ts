import { type Command, Option } from "commander";
import { loadMasterKey, MASTER_KEY_ENV } from "../ingest/master-key.js";
import { DEFAULT_DATA_DIR } from "../store/open.js";

/** Where a command's data lives: `--data DIR` (SQLite, the default) or `--database URL` (PostgreSQL). */
export interface StorageOptions {
  data: string;
  database?: string;
  /** `--master-key-file`, on commands that read or write sources' secrets. */
  masterKeyFile?: string;
}

/** Adds `--data` and `--database` to a command that opens the database itself. */
export function withStorageOptions(command: Command): Command {
  return command
    .option("--data <dir>", "SQLite data directory", DEFAULT_DATA_DIR)
    .addOption(
      new Option(
        "--database <url>",
        "PostgreSQL URL instead of SQLite (postgres://...; ?schema=NAME)",
      ).conflicts("data"),
    );
}

/** The store options the storage flags select. */
export const storeOf = (options: StorageOptions) =>
  options.database ? { databaseUrl: options.database } : { dataDir: options.data };

/** Adds `--master-key-file` to a command that reads or writes sources' secrets. */
export const withMasterKeyOption = (command: Command): Command =>
  command.option(
    "--master-key-file <path>",
    `the key sources' secrets are sealed under (required with --database unless ${MASTER_KEY_ENV} is set; created with mode 0600 when missing)`,
  );

/** The master key: INFLOW_MASTER_KEY, the key file named, or (on SQLite) master.key in the data directory. */
export const masterKeyOf = (options: StorageOptions) =>
  loadMasterKey({
    // PostgreSQL has no data directory: the key never sits next to the database by default.
    ...(options.database ? {} : { dataDir: options.data }),
    ...(options.masterKeyFile !== undefined ? { keyFile: options.masterKeyFile } : {}),
  });
