/**
 * The systems the workflow benchmark measures, by name. Each module is imported only by the
 * process that measures it, so no process loads another system's code.
 */
import type { WorkflowDriver } from "./system.js";

/** What run.ts hands every measuring process. */
export interface MeasureSettings {
  /** Inflow's step loops (`createStates(..., { concurrency })`). */
  concurrency: number;
  /** Consumer loops answering task tokens (Inflow). */
  consumers: number;
}

export interface SystemSpec {
  name: string;
  label: string;
  backend: "sqlite" | "postgres" | "none";
  durable: boolean;
  open(
    settings: MeasureSettings,
  ): Promise<{ driver: WorkflowDriver; facts: Record<string, string | boolean> }>;
}

export const SYSTEMS: readonly SystemSpec[] = [
  {
    name: "inflow-sqlite",
    label: "Inflow, SQLite",
    backend: "sqlite",
    durable: true,
    open: async (settings) => ({
      driver: await (await import("./inflow.js")).openInflow("sqlite", "", settings),
      facts: {},
    }),
  },
  {
    name: "inflow-postgres",
    label: "Inflow, PostgreSQL",
    backend: "postgres",
    durable: true,
    open: async (settings) => ({
      // A schema per measuring process: two runs at once never drop each other's.
      driver: await (await import("./inflow.js")).openInflow(
        "postgres",
        `bench_states_inflow_${process.pid}`,
        settings,
      ),
      facts: {},
    }),
  },
  {
    name: "aws-local-stepfunctions",
    label: "aws-local-stepfunctions (in memory)",
    backend: "none",
    durable: false,
    open: async () => {
      const { openPeer, peerPolyfilled } = await import("./peer.js");
      const driver = await openPeer();
      return { driver, facts: { version: driver.version, polyfilled: peerPolyfilled } };
    },
  },
];

export function systemNamed(name: string): SystemSpec {
  const found = SYSTEMS.find((system) => system.name === name);
  if (!found) throw new Error(`Unknown system "${name}"; known: ${SYSTEMS.map((s) => s.name).join(", ")}`);
  return found;
}
