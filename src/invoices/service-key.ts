import { randomText } from "../queues/random.js";
import type { Queryable } from "../store/types.js";

/**
 * The service key: the secret the pipeline functions call the API with. The first process to
 * ask generates it; every process with access to the database reads the same one, so
 * `inflow worker` on another machine needs no key passed around. Kept in clear, since workers
 * must present it; whoever can read the database can do anything the key allows anyway.
 */
export async function serviceKey(db: Queryable): Promise<string> {
  const read = async () =>
    (await db.query<{ key: string }>("SELECT key FROM service_keys WHERE id = 1"))[0]?.key;
  const existing = await read();
  if (existing !== undefined) return existing;
  // Two processes starting together both insert: one wins, both read the winner's key.
  await db.run(
    "INSERT INTO service_keys (id, key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
    [`isk_${randomText(32, "base64url")}`, Date.now()],
  );
  return (await read())!;
}
