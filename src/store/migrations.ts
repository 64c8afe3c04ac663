import { readdirSync, readFileSync } from "node:fs";
import type { Dialect } from "./types.js";

export interface Migration {
  /** The number the file starts with; applied in ascending order, each exactly once. */
  id: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/**
 * Reads the numbered migrations of a dialect. Both dialects carry the same numbers and names
 * (a test holds them to it); only column types and a few clauses differ between them.
 */
export function loadMigrations(dialect: Dialect): Migration[] {
  const dir = new URL(`./migrations/${dialect}/`, import.meta.url);
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE.exec(file);
    if (!match) continue;
    migrations.push({
      id: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(new URL(file, dir), "utf8"),
    });
  }
  return migrations;
}
