/** What bench/functions/run.ts and its measuring processes (measure.ts) say to each other. */

export type Backend = "sqlite" | "postgres";
export const BACKEND_NAMES: readonly Backend[] = ["sqlite", "postgres"];

export interface MappingRun {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Most concurrent batches (pollers) seen during the run. */
  peakPollers: number;
  /** This process's CPU time per message (the database server's not included). */
  cpuMicrosPerMessage: number;
}

export type Request =
  | { op: "open" }
  | { op: "run"; messages: number; batchSize: number; maximumConcurrency: number }
  | { op: "close" };

export interface Response {
  ok: boolean;
  error?: string;
  run?: MappingRun;
}
