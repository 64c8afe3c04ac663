/**
 * pg-boss 10 doing the cycle's work through its public API: `insert` a batch of 10,
 * `fetch(name, { batchSize: 10 })`, `complete(name, ids)`. Each is one SQL statement.
 *
 * Its background supervisor (maintenance, queue state monitoring) and cron scheduler are off,
 * as Inflow's background work (`startBackground`) is off in the in-process runs: neither side
 * pays for housekeeping timers during the measurement.
 */
import PgBoss from "pg-boss";
import { checkIdentifier, dropSchema, type QueueDriver, systemDatabaseUrl, vacuumSchema } from "./common.js";

const QUEUE = "bench";

export async function openPgBoss(schema: string): Promise<QueueDriver<string>> {
  await dropSchema(checkIdentifier(schema));
  const boss = new PgBoss({
    connectionString: systemDatabaseUrl(),
    schema,
    max: 10,
    supervise: false,
    schedule: false,
  });
  boss.on("error", (error: unknown) => console.error("pg-boss error:", error));
  await boss.start();
  await boss.createQueue(QUEUE);

  return {
    async send(batch) {
      await boss.insert(batch.map((data) => ({ name: QUEUE, data })));
    },
    async receive() {
      const jobs = await boss.fetch(QUEUE, { batchSize: 10 });
      return jobs.map((job) => job.id);
    },
    async ack(ids) {
      await boss.complete(QUEUE, ids);
    },
    async remaining() {
      const { rows } = await boss
        .getDb()
        .executeSql(`SELECT COUNT(*)::int AS n FROM ${schema}.job WHERE name = $1 AND state < 'completed'`, [
          QUEUE,
        ]);
      return Number((rows[0] as { n: number } | undefined)?.n ?? 0);
    },
    async housekeeping() {
      await vacuumSchema(schema);
    },
    async close() {
      await boss.stop({ graceful: false, wait: true });
      await dropSchema(schema);
    },
  };
}
