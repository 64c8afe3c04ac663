import type { Queryable } from "../store/types.js";
import { getContainer, transitionContainer } from "./containers.js";
import { dropParsed } from "./parsed.js";
import type { ContainerState } from "./types.js";

export interface Verification {
  state: Extract<ContainerState, "Done" | "Error">;
  parsed: number;
  created: number;
  error?: string;
}

/**
 * The workflow's last step: a container is Done when every parsed invoice was created, else in
 * Error saying how many were. Counts the invoices themselves (keys 1..parsed), not what was
 * counted along the way. Verifying again answers the same; run it in a transaction.
 */
export async function verifyContainer(db: Queryable, containerId: string): Promise<Verification> {
  const container = await getContainer(db, containerId);
  const parsed = container.parsedCount ?? 0;
  const [count] = await db.query<{ created: number | string }>(
    "SELECT COUNT(*) AS created FROM invoices WHERE container_id = $1 AND key <= $2",
    [containerId, parsed],
  );
  const created = Number(count!.created);
  await db.run("UPDATE containers SET created_count = $2 WHERE id = $1", [containerId, created]);
  if (container.parsedCount !== undefined && created === parsed) {
    // From Error too: a redriven execution can verify before its RUNNING status event is seen.
    const { container: done } = await transitionContainer(db, containerId, "Done", {
      from: ["Processing", "Error"],
      unchangedIn: ["Done"],
    });
    // Every staged invoice is an invoice now: kept twice, a day's files took twice the space.
    await dropParsed(db, containerId);
    return { state: done.state as "Done", parsed, created };
  }
  const error =
    container.parsedCount === undefined
      ? "verified before it was parsed"
      : `created ${created} of ${parsed} invoices`;
  const { container: failed } = await transitionContainer(db, containerId, "Error", {
    from: ["Processing"],
    unchangedIn: ["Error"],
    reason: error,
  });
  return { state: "Error", parsed, created, error: failed.error ?? error };
}
