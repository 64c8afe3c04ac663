/**
 * graphile-worker 0.17 doing the cycle's work.
 *
 * - send: `addJobs` of its WorkerUtils (the batch API of 0.17: one call of the
 *   `graphile_worker.add_jobs(job_spec[])` SQL function for the whole batch).
 * - receive: the statement its worker runs to take jobs, copied from
 *   node_modules/graphile-worker/dist/sql/getJobs.js (`batchGetJobs`) as 0.17 configures it:
 *   named-queue strategy 2, no flags, database time, batch size 10, a named prepared statement.
 *   0.17 has no `get_job(s)` SQL function any more (migration 000011 dropped it): the worker
 *   issues this statement itself, and its LocalQueue asks for batches of jobs with it.
 * - ack: the statement its worker runs to complete jobs without a named queue, copied from
 *   dist/sql/completeJobs.js (`batchCompleteJobs`): DELETE .. USING unnest($1::bigint[]).
 *   The `graphile_worker.complete_jobs()` SQL function is an admin function that refuses
 *   locked jobs, so it is not what a worker uses.
 *
 * Why drive its statements instead of running its worker with a no-op task: the worker's
 * throughput is a property of its runner (concurrency, LocalQueue size, poll interval, the
 * completion batch delay), not of the queue; driving the same statements the runner issues
 * gives graphile-worker exactly the cycle every other system runs, with the same client loops.
 */
import { randomBytes } from "node:crypto";
import { Logger, makeWorkerUtils, runMigrations } from "graphile-worker";
import pg from "pg";
import { checkIdentifier, dropSchema, type QueueDriver, systemDatabaseUrl, vacuumSchema } from "./common.js";

const TASK = "bench";

export async function openGraphileWorker(schema: string): Promise<QueueDriver<string>> {
  await dropSchema(checkIdentifier(schema));
  const pool = new pg.Pool({ connectionString: systemDatabaseUrl(), max: 10 });
  // graphile-worker checks that a pool handles errors of idle clients and of checked-out ones.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  await runMigrations({ pgPool: pool, schema, logger: quietLogger() });
  const utils = await makeWorkerUtils({ pgPool: pool, schema, logger: quietLogger() });
  const escaped = pg.escapeIdentifier(schema);

  // What getTaskDetails does once per worker: make sure the task exists, learn its id.
  await pool.query(
    `insert into ${escaped}._private_tasks as tasks (identifier) values ($1) on conflict do nothing`,
    [TASK],
  );
  const { rows: tasks } = await pool.query<{ id: number }>(
    `select id from ${escaped}._private_tasks as tasks where identifier = $1`,
    [TASK],
  );
  const taskIds = tasks.map((task) => task.id);
  const workerId = `worker-${randomBytes(9).toString("hex")}`;

  const getJobs = {
    name: `get_job10/${schema}`,
    text: `\
with j as (
  select jobs.job_queue_id, jobs.priority, jobs.run_at, jobs.id
    from ${escaped}._private_jobs as jobs
    where jobs.is_available = true
    and run_at <= now()
    and task_id = any($2::int[])
    and (
      jobs.job_queue_id is null
      or
      jobs.job_queue_id in (
        select id
        from ${escaped}._private_job_queues as job_queues
        where job_queues.is_available = true
        for update
        skip locked
      )
    )
    order by priority asc, run_at asc
    limit 10
    for update
    skip locked
),
q as (
  update ${escaped}._private_job_queues as job_queues
    set
      locked_by = $1::text,
      locked_at = now()
    from j
    where job_queues.id = j.job_queue_id
)
  update ${escaped}._private_jobs as jobs
    set
      attempts = jobs.attempts + 1,
      locked_by = $1::text,
      locked_at = now()
    from j
    where jobs.id = j.id
    returning *`,
  };
  const completeJobs = {
    name: `complete_jobs/${schema}`,
    text: `\
delete from ${escaped}._private_jobs as jobs
using unnest($1::bigint[]) n(n)
where id = n`,
  };

  return {
    async send(batch) {
      await utils.addJobs(batch.map((payload) => ({ identifier: TASK, payload })));
    },
    async receive() {
      const { rows } = await pool.query<{ id: string }>({ ...getJobs, values: [workerId, taskIds] });
      return rows.map((row) => row.id);
    },
    async ack(ids) {
      await pool.query({ ...completeJobs, values: [ids] });
    },
    async remaining() {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from ${escaped}._private_jobs`,
      );
      return Number(rows[0]?.n ?? 0);
    },
    async housekeeping() {
      await vacuumSchema(schema);
    },
    async close() {
      await utils.release();
      await pool.end();
      await dropSchema(schema);
    },
  };
}

/** graphile-worker's logger, keeping only warnings and errors. */
function quietLogger(): Logger {
  return new Logger(() => (level, message) => {
    if (`${level}` === "error" || `${level}` === "warning")
      console.error(`graphile-worker ${level}: ${message}`);
  });
}
