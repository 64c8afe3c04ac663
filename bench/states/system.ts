/**
 * What every system of the workflow benchmark offers the measuring process.
 */
import type { ScenarioName } from "./scenarios.js";

/** Marks the benchmark's own statements (progress polls, checks), left out of the statement profile. */
export const BENCH_SQL = "/* bench */";

/** One measured run of one scenario: `executions` started at once, timed until the last ends. */
export interface ScenarioRun {
  executions: number;
  /** States entered, counted by the system itself and checked against the scenario. */
  transitions: number;
  /** Task-token round trips (token scenario). */
  roundTrips: number;
  millis: number;
  transitionsPerSecond: number;
  roundTripsPerSecond: number;
  /** CPU time of this process over the run, microseconds per transition. */
  cpuPerTransition?: number;
  /** CPU time of the PostgreSQL backends serving this process, microseconds per transition. */
  postgresCpuPerTransition?: number;
}

export interface WorkflowDriver {
  run(scenario: ScenarioName, executions: number): Promise<ScenarioRun>;
  /** Between repetitions: VACUUM ANALYZE of the schema's tables on PostgreSQL, nothing elsewhere. */
  housekeeping(): Promise<void>;
  close(): Promise<void>;
}
