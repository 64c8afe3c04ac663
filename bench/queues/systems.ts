/**
 * The systems the queue benchmark measures, by name. Each gets its own database objects: a temp
 * directory for SQLite, a schema of its own (created, then dropped) on PostgreSQL. Each system's
 * module is imported only by the process that measures it, so no process loads a peer's code.
 */
import type { QueueDriver } from "./common.js";

/**
 * A schema name of this benchmark run: the runner sets BENCH_RUN_TAG for its measuring processes,
 * so two runs at once (another engineer's, a scratch copy's) never drop each other's schemas.
 */
function schemaOf(base: string): string {
  const tag = (process.env.BENCH_RUN_TAG ?? String(process.pid)).replace(/[^a-z0-9_]/g, "");
  return `${base}_${tag}`;
}

export interface SystemSpec {
  name: string;
  label: string;
  backend: "sqlite" | "postgres";
  /** Where the client runs: in the benchmark process, or over HTTP against a server process. */
  transport: "in-process" | "http";
  open(): Promise<QueueDriver<unknown> & { server?: { via: string; command: string } }>;
}

export const SYSTEMS: readonly SystemSpec[] = [
  {
    name: "inflow-sqlite",
    label: "Inflow, in-process API, SQLite",
    backend: "sqlite",
    transport: "in-process",
    open: async () => (await import("./inflow.js")).openInflow("sqlite", ""),
  },
  {
    name: "inflow-postgres",
    label: "Inflow, in-process API, PostgreSQL",
    backend: "postgres",
    transport: "in-process",
    open: async () => (await import("./inflow.js")).openInflow("postgres", schemaOf("bench_queues_inflow")),
  },
  {
    name: "pg-boss",
    label: "pg-boss 10 (insert / fetch / complete)",
    backend: "postgres",
    transport: "in-process",
    open: async () => (await import("./pg-boss.js")).openPgBoss(schemaOf("bench_queues_pgboss")),
  },
  {
    name: "graphile-worker",
    label: "graphile-worker 0.17 (addJobs / its get-jobs and complete SQL)",
    backend: "postgres",
    transport: "in-process",
    open: async () =>
      (await import("./graphile-worker.js")).openGraphileWorker(schemaOf("bench_queues_graphile")),
  },
  {
    name: "http-sqlite",
    label: "Inflow, HTTP (SQS JSON, @aws-sdk/client-sqs), SQLite",
    backend: "sqlite",
    transport: "http",
    open: async () => (await import("./http.js")).openHttp("sqlite", ""),
  },
  {
    name: "http-postgres",
    label: "Inflow, HTTP (SQS JSON, @aws-sdk/client-sqs), PostgreSQL",
    backend: "postgres",
    transport: "http",
    open: async () => (await import("./http.js")).openHttp("postgres", schemaOf("bench_queues_http")),
  },
];

export function systemNamed(name: string): SystemSpec {
  const found = SYSTEMS.find((system) => system.name === name);
  if (!found) throw new Error(`Unknown system "${name}"; known: ${SYSTEMS.map((s) => s.name).join(", ")}`);
  return found;
}
