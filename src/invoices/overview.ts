import type { Queryable, SqlValue } from "../store/types.js";
import { CONTAINER_STATES, type ContainerState } from "./types.js";

/**
 * The numbers the dashboard's overview shows for a tenant (or, for the service, every tenant):
 * containers by state, what arrived and was created since a day began, and the last hours' files
 * and invoices hour by hour. Each is an aggregate over an index (migration 014), so it stays
 * quick at hundreds of thousands of containers.
 */
export interface Overview {
  containers: Record<ContainerState, number>;
  /** Since `since` (the caller's start of day). */
  today: { files: number; invoices: number };
  /** One entry per hour, oldest first, ending with the current hour. */
  hourly: { hour: number; files: number; invoices: number }[];
}

const HOUR_MILLIS = 3_600_000;

export async function overview(
  db: Queryable,
  options: { tenantId: string | undefined; since: number; hours: number; now?: number },
): Promise<Overview> {
  const now = options.now ?? Date.now();
  const firstHour = Math.floor(now / HOUR_MILLIS) * HOUR_MILLIS - (options.hours - 1) * HOUR_MILLIS;
  const scoped = options.tenantId !== undefined;
  // The tenant, when there is one, is always $1: the other parameters follow it.
  const tenant = (sql: string) => (scoped ? `tenant_id = $1 AND ${sql}` : sql);
  const params = (...rest: SqlValue[]): SqlValue[] => (scoped ? [options.tenantId!, ...rest] : rest);
  const p = (n: number) => `$${scoped ? n + 1 : n}`;

  const byState = await db.query<{ state: ContainerState; n: number }>(
    `SELECT state, COUNT(*) AS n FROM containers ${scoped ? "WHERE tenant_id = $1" : ""} GROUP BY state`,
    params(),
  );
  const containers = Object.fromEntries(CONTAINER_STATES.map((state) => [state, 0])) as Record<
    ContainerState,
    number
  >;
  for (const row of byState) containers[row.state] = Number(row.n);

  const count = async (table: "containers" | "invoices", column: string, from: number) =>
    Number(
      (
        await db.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${table} WHERE ${tenant(`${column} >= ${p(1)}`)}`,
          params(from),
        )
      )[0]?.n ?? 0,
    );
  const perHour = (table: "containers" | "invoices", column: string) =>
    db.query<{ h: number; n: number }>(
      `SELECT ${column} / ${HOUR_MILLIS} AS h, COUNT(*) AS n FROM ${table}
       WHERE ${tenant(`${column} >= ${p(1)}`)} GROUP BY ${column} / ${HOUR_MILLIS}`,
      params(firstHour),
    );
  const today = {
    files: await count("containers", "received_at", options.since),
    invoices: await count("invoices", "created_at", options.since),
  };
  const hourly = Array.from({ length: options.hours }, (_, i) => ({
    hour: firstHour + i * HOUR_MILLIS,
    files: 0,
    invoices: 0,
  }));
  for (const [key, rows] of [
    ["files", await perHour("containers", "received_at")],
    ["invoices", await perHour("invoices", "created_at")],
  ] as const) {
    for (const row of rows) {
      const slot = hourly[Number(row.h) - firstHour / HOUR_MILLIS];
      if (slot) slot[key] = Number(row.n);
    }
  }
  return { containers, today, hourly };
}
