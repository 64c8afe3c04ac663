import type { States } from "../states/engine.js";
import type { ExecutionDescription } from "../states/executions.js";

/** How a distributed Map fails when an iteration fails: the iteration's own error stays in the iteration. */
const THRESHOLD_EXCEEDED = "States.ExceedToleratedFailureThreshold";

/**
 * DescribeExecution, with the failure an execution comes down to. CreateInvoices is a distributed
 * Map, and a distributed Map fails as Step Functions makes it fail, with
 * `States.ExceedToleratedFailureThreshold` and a cause that names no invoice; the reason worth
 * leaving on a container (`Pipeline.DeadLettered: dead-lettered: the message to queue
 * create-invoice ...`) is that of the iteration that failed. So a failure by the threshold reports
 * the error and cause of the latest failed iteration of the execution's latest failed map run.
 * For the containers service's execution-status route, which reads an execution anew on every
 * status event.
 */
export function describeFailure(states: Pick<States, "executions" | "mapRuns">) {
  const describe = async (executionArn: string): Promise<ExecutionDescription> => {
    const execution = await states.executions.describe(executionArn);
    if (execution.status !== "FAILED" || execution.error !== THRESHOLD_EXCEEDED) return execution;
    // digitize starts one map run per run of CreateInvoices; a redriven one is reopened, not added.
    const mapRuns = await states.mapRuns.list(executionArn, { limit: 100 });
    for (const mapRun of mapRuns.reverse()) {
      const [failed] = await states.executions.list({
        mapRunArn: mapRun.mapRunArn,
        status: "FAILED",
        limit: 1,
      });
      if (!failed) continue;
      const iteration = await describe(failed.executionArn);
      return {
        ...execution,
        ...(iteration.error !== undefined ? { error: iteration.error } : {}),
        ...(iteration.cause !== undefined ? { cause: iteration.cause } : {}),
      };
    }
    return execution;
  };
  return describe;
}
