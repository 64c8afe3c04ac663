import { type Command, Option } from "commander";
import { DEFAULT_DATA_DIR } from "../store/open.js";

/** Where a command's data lives: `--data DIR` (SQLite, the default) or `--database URL` (PostgreSQL). */
export interface StorageOptions {
  data: string;
  database?: string;
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
