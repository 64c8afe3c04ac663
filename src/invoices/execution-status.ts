import type { ExecutionDescription } from "../states/executions.js";
import type { Store } from "../store/types.js";
import { findContainer, getContainer, transitionContainer } from "./containers.js";
import type { ContainerState } from "./types.js";

/** An execution status change, as the status event reports it. */
export interface ExecutionStatusEvent {
  executionArn: string;
  status: string;
  error?: string;
  cause?: string;
}

const FAILED_STATUSES: ReadonlySet<string> = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);

/**
 * The reason a failed execution leaves on its container: `error: message`, the message being
 * the `errorMessage` of a Lambda error report (what a failing function's cause is), else the
 * cause as it is.
 */
export function failureReason(status: string, error?: string, cause?: string): string {
  let message = cause;
  if (cause !== undefined) {
    try {
      const report = JSON.parse(cause) as { errorMessage?: unknown } | null;
      if (typeof report?.errorMessage === "string") message = report.errorMessage;
    } catch {
      // Not JSON: the cause is the message.
    }
  }
  // A parser's message names its code already ("...: fatal X12.InvalidISA: ..."): not said twice.
  if (error && message) return message.includes(error) ? message : `${error}: ${message}`;
  return error || message || `the execution ended ${status}`;
}

/**
 * Brings a container in line with its execution's status. Status events can arrive late and out
 * of order, so an event only says "look again": one about an execution that is no longer the
 * container's (reprocessed since) changes nothing, and otherwise the execution's status is read
 * anew. Failed, timed out or aborted: the container is in Error with the reason. Running while
 * the container is in Error: redriven, so Processing again. Anything else changes nothing (the
 * workflow's own steps move the container).
 */
export async function reconcileExecutionStatus(
  store: Store,
  describe: (executionArn: string) => Promise<Pick<ExecutionDescription, "status" | "error" | "cause">>,
  containerId: string,
  event: ExecutionStatusEvent,
): Promise<{ state: ContainerState }> {
  const container = await getContainer(store, containerId);
  if (container.executionArn !== event.executionArn) return { state: container.state };
  const current = await describe(event.executionArn);
  return store.transaction(async (tx) => {
    if (FAILED_STATUSES.has(current.status)) {
      const reason = failureReason(
        current.status,
        current.error ?? event.error,
        current.cause ?? event.cause,
      );
      const { container: after } = await transitionContainer(tx, containerId, "Error", {
        from: ["New", "Processing"],
        unchangedIn: ["Error", "Done"],
        ifExecution: event.executionArn,
        reason,
      });
      return { state: after.state };
    }
    if (current.status === "RUNNING") {
      const { container: after } = await transitionContainer(tx, containerId, "Processing", {
        from: ["Error"],
        unchangedIn: ["New", "Processing", "Done"],
        ifExecution: event.executionArn,
        reason: "redriven",
      });
      return { state: after.state };
    }
    return { state: (await findContainer(tx, containerId))!.state };
  });
}
