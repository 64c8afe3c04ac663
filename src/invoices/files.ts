import { createHash } from "node:crypto";
import type { Queryable } from "../store/types.js";

/**
 * Raw files, content-addressed: stored once per SHA-256 however often they are received, in the
 * database so that any worker on any machine reads them.
 */

export interface StoredFile {
  sha256: string;
  size: number;
}

export const sha256Of = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

export async function storeFile(db: Queryable, bytes: Buffer): Promise<StoredFile> {
  const sha256 = sha256Of(bytes);
  // The same bytes received again are already there: nothing to write.
  const existing = await db.query("SELECT 1 FROM files WHERE sha256 = $1", [sha256]);
  if (existing.length === 0) {
    await db.run(
      "INSERT INTO files (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
      [sha256, bytes.length, bytes],
    );
  }
  return { sha256, size: bytes.length };
}

/** The bytes of a stored file; undefined when none has that hash. */
export async function readFile(db: Queryable, sha256: string): Promise<Buffer | undefined> {
  const [row] = await db.query<{ content: Buffer | Uint8Array }>(
    "SELECT content FROM files WHERE sha256 = $1",
    [sha256],
  );
  if (!row) return undefined;
  return Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content);
}
