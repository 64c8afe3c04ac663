import type { Invoice } from "../formats/invoice.js";
import type { Queryable } from "../store/types.js";
import { getContainer } from "./containers.js";
import { invalidContainerState } from "./errors.js";
import { MAX_WARNINGS } from "./types.js";

/** How much invoice JSON one INSERT carries: big files stage in a few statements, none of them huge. */
const CHUNK_CHARS = 4 * 1024 * 1024;
const CHUNK_INVOICES = 1000;

/**
 * Stages a container's parsed invoices under keys 1..n in file order, replacing what an earlier
 * parse staged (a retried ParseFile, a reprocess), and keeps the first MAX_WARNINGS warnings.
 * Run it in a transaction: the staging and the parsed count change together. A Done container
 * is finished: parsing it again takes a reprocess first.
 */
export async function stageParsed(
  db: Queryable,
  containerId: string,
  parsed: { invoices: readonly Invoice[]; warnings: readonly unknown[] },
): Promise<{ parsed: number }> {
  const container = await getContainer(db, containerId);
  if (container.state === "Done") throw invalidContainerState(containerId, "Done", "parsed again");
  await dropParsed(db, containerId);
  // The chunk goes as one JSON array the database splits into rows: one statement per chunk,
  // the same text whatever its length (PostgreSQL prepares it once).
  const insert =
    db.dialect === "postgres"
      ? `INSERT INTO parsed_invoices (container_id, key, invoice)
         SELECT $1, $2 + ordinality, value::text FROM json_array_elements($3::json) WITH ORDINALITY`
      : `INSERT INTO parsed_invoices (container_id, key, invoice)
         SELECT $1, $2 + key + 1, value FROM json_each($3)`;
  let chunk: string[] = [];
  let chars = 0;
  let staged = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await db.run(insert, [containerId, staged, `[${chunk.join(",")}]`]);
    staged += chunk.length;
    chunk = [];
    chars = 0;
  };
  for (const invoice of parsed.invoices) {
    const text = JSON.stringify(invoice);
    if (chunk.length >= CHUNK_INVOICES || (chars > 0 && chars + text.length > CHUNK_CHARS)) await flush();
    chunk.push(text);
    chars += text.length;
  }
  await flush();
  await db.run("UPDATE containers SET parsed_count = $2, warnings = $3 WHERE id = $1", [
    containerId,
    staged,
    JSON.stringify(parsed.warnings.slice(0, MAX_WARNINGS)),
  ]);
  return { parsed: staged };
}

/** The parsed invoice staged under `key`; undefined when there is none. */
export async function parsedInvoice(
  db: Queryable,
  containerId: string,
  key: number,
): Promise<Invoice | undefined> {
  const [row] = await db.query<{ invoice: string }>(
    "SELECT invoice FROM parsed_invoices WHERE container_id = $1 AND key = $2",
    [containerId, key],
  );
  return row ? (JSON.parse(row.invoice) as Invoice) : undefined;
}

/** Forgets what a container staged: its invoices exist once it is Done, and a reprocess stages anew. */
export async function dropParsed(db: Queryable, containerId: string): Promise<void> {
  await db.run("DELETE FROM parsed_invoices WHERE container_id = $1", [containerId]);
}
