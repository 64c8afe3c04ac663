import type { ExecutionDescription } from "../states/executions.js";
import type { Queryable, Store } from "../store/types.js";
import { getContainer, insertContainer, newContainerId, transitionContainer } from "./containers.js";
import { emptyFile, InvoicesError, invalidContainerState, notRedrivable, tenantNotFound } from "./errors.js";
import { storeFile } from "./files.js";
import { tenantExists } from "./tenants.js";
import { CONTAINER_SOURCES, type ContainerSource } from "./types.js";

/** What the pipeline offers the API: starting and restarting a container's execution. */
export interface PipelineStarter {
  /** Stores the file, creates its container (New) and starts its execution, all in one transaction. */
  receive(
    tenantId: string,
    file: { name: string; bytes: Buffer; source: string },
  ): Promise<{ containerId: string; executionArn: string }>;
  /** A Done or Error container starts over (New) under a new execution, `<id>-r<n>`. */
  reprocess(containerId: string): Promise<{ executionArn: string }>;
  /** An Error container's execution goes on from where it failed; the container is Processing again. */
  redrive(containerId: string): Promise<{ executionArn: string; redriveDate: number }>;
}

/** What the starter needs of the workflow engine (`States`). */
export interface StarterStates {
  executions: {
    /** `within` runs in the start's transaction, before the execution row is written. */
    start(
      input: { stateMachineArn: string; name: string; input: string },
      options: { within: (tx: Queryable) => Promise<void> },
    ): Promise<Pick<ExecutionDescription, "executionArn">>;
    redrive(executionArn: string): Promise<{ redriveDate: number }>;
    stop(executionArn: string, details: { error?: string; cause?: string }): Promise<unknown>;
  };
}

/**
 * The ARN a STANDARD state machine's execution of this name gets (the digitize machine is
 * STANDARD): known before the start, so the container written inside the start's transaction
 * already names its execution.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(":");
  if (parts.length !== 7 || parts[5] !== "stateMachine") {
    throw new Error(`Not a state machine ARN: ${stateMachineArn}`);
  }
  return [...parts.slice(0, 5), "execution", parts[6], name].join(":");
}

const invalidSource = (source: string) =>
  new InvoicesError(
    "InvalidSource",
    `Invalid source ${JSON.stringify(source)}: one of ${CONTAINER_SOURCES.join(", ")}.`,
    400,
  );

/**
 * Starts digitize executions for containers. A container and its execution are written in one
 * transaction: there is never a New container without an execution to move it, nor an
 * execution for a container that does not exist.
 */
export function createPipelineStarter(options: {
  store: Store;
  states: StarterStates;
  stateMachineArn: string;
}): PipelineStarter {
  const { store, states, stateMachineArn } = options;
  const inputOf = (containerId: string) => JSON.stringify({ containerId });

  return {
    async receive(tenantId, file) {
      if (file.bytes.length === 0) throw emptyFile();
      if (!(CONTAINER_SOURCES as readonly string[]).includes(file.source)) throw invalidSource(file.source);
      if (!(await tenantExists(store, tenantId))) throw tenantNotFound(tenantId);
      const containerId = newContainerId();
      const executionArn = executionArnOf(stateMachineArn, containerId);
      await states.executions.start(
        { stateMachineArn, name: containerId, input: inputOf(containerId) },
        {
          within: async (tx) => {
            const stored = await storeFile(tx, file.bytes);
            await insertContainer(tx, {
              id: containerId,
              tenantId,
              name: file.name,
              size: stored.size,
              sha256: stored.sha256,
              source: file.source as ContainerSource,
              executionArn,
            });
          },
        },
      );
      return { containerId, executionArn };
    },

    async reprocess(containerId) {
      const before = await getContainer(store, containerId);
      if (before.state !== "Done" && before.state !== "Error") {
        throw invalidContainerState(containerId, before.state, "New");
      }
      // An execution still running (redriven, its RUNNING event not yet seen) must not go on
      // working on the container beside the new one. Stopping one that ended changes nothing.
      if (before.executionArn !== undefined) {
        await states.executions.stop(before.executionArn, {
          error: "Inflow.Reprocessed",
          cause: `Container ${containerId} was reprocessed under a new execution.`,
        });
      }
      const count = before.reprocessCount + 1;
      const name = `${containerId}-r${count}`;
      const executionArn = executionArnOf(stateMachineArn, name);
      await states.executions.start(
        { stateMachineArn, name, input: inputOf(containerId) },
        {
          within: async (tx) => {
            // Reprocessed by someone else since it was read: this start is not needed (nor named right).
            const now = await getContainer(tx, containerId);
            if (now.reprocessCount !== before.reprocessCount) {
              throw invalidContainerState(containerId, now.state, "New");
            }
            await transitionContainer(tx, containerId, "New", {
              from: ["Done", "Error"],
              reason: "reprocess",
              reprocess: { executionArn, count },
            });
          },
        },
      );
      return { executionArn };
    },

    async redrive(containerId) {
      const container = await getContainer(store, containerId);
      if (container.state !== "Error")
        throw notRedrivable(containerId, `it is ${container.state}, not Error.`);
      const executionArn = container.executionArn;
      if (executionArn === undefined) throw notRedrivable(containerId, "it has no execution.");
      let redriveDate: number;
      try {
        ({ redriveDate } = await states.executions.redrive(executionArn));
      } catch (error) {
        if ((error as Error).name === "ExecutionNotRedrivable") {
          throw notRedrivable(containerId, (error as Error).message);
        }
        throw error;
      }
      // Unless its RUNNING status event, or the execution's Verify, came first.
      await store.transaction((tx) =>
        transitionContainer(tx, containerId, "Processing", {
          from: ["Error"],
          unchangedIn: ["New", "Processing", "Done"],
          ifExecution: executionArn,
          reason: "redrive",
        }),
      );
      return { executionArn, redriveDate };
    },
  };
}
