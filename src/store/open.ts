import { openPostgres } from "./postgres.js";
import { openSqlite } from "./sqlite.js";
import type { OpenOptions, Store } from "./types.js";

export const DEFAULT_DATA_DIR = ".inflow";

/**
 * Opens the store the options name (`--database URL` wins over `--data DIR`) and migrates it.
 * A `schema` query parameter on the URL (`postgres://host/db?schema=inflow`) selects the schema.
 */
export async function openStore(options: OpenOptions = {}): Promise<Store> {
  if (options.databaseUrl) {
    const { url, schema } = splitSchema(options.databaseUrl);
    const chosen = options.schema ?? schema;
    return openPostgres(url, {
      ...(chosen ? { schema: chosen } : {}),
      ...(options.poolSize ? { poolSize: options.poolSize } : {}),
    });
  }
  return openSqlite(options.dataDir ?? DEFAULT_DATA_DIR);
}

function splitSchema(databaseUrl: string): { url: string; schema?: string } {
  let parsed: URL;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    return { url: databaseUrl };
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  if (schema === undefined) return { url: databaseUrl };
  parsed.searchParams.delete("schema");
  return { url: parsed.toString(), schema };
}
