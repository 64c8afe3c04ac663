import type { ExecutionDescription } from "../../states/executions.js";
import { detailsMemberOf, type HistoryEvent } from "../../states/history.js";

/**
 * The engine's values as Step Functions sends them. Timestamps become epoch seconds (fractions
 * kept), the awsJson default the SDK reads into Dates; absent members are left out, never null.
 */

export const seconds = (epochMillis: number) => epochMillis / 1000;

/** What Step Functions says about redriving an execution, from its status. */
function redriveStatusOf(status: ExecutionDescription["status"]) {
  return status === "FAILED" || status === "TIMED_OUT" || status === "ABORTED"
    ? { redriveStatus: "REDRIVABLE" }
    : {
        redriveStatus: "NOT_REDRIVABLE",
        redriveStatusReason: `Execution is ${status} and cannot be redriven`,
      };
}

/**
 * DescribeExecution's members (and StartSyncExecution's, which shares most of them). With
 * `includeData` false (includedData METADATA_ONLY) input and output stay out and say so.
 */
export function executionOutput(execution: ExecutionDescription, includeData: boolean) {
  const data = (member: "input" | "output", value: string | undefined) =>
    value === undefined
      ? {}
      : includeData
        ? { [member]: value, [`${member}Details`]: { included: true } }
        : { [`${member}Details`]: { included: false } };
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    stopDate: execution.stopDate === undefined ? undefined : seconds(execution.stopDate),
    ...data("input", execution.input),
    ...data("output", execution.output),
    error: execution.error,
    cause: execution.cause,
  };
}

/** One entry of ListExecutions. */
export function executionListItem(execution: ExecutionDescription) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    stopDate: execution.stopDate === undefined ? undefined : seconds(execution.stopDate),
    redriveCount: execution.redriveCount,
    redriveDate: execution.redriveDate === undefined ? undefined : seconds(execution.redriveDate),
  };
}

export function describedExecution(execution: ExecutionDescription, includeData: boolean) {
  return {
    ...executionOutput(execution, includeData),
    mapRunArn: execution.mapRunArn,
    redriveCount: execution.redriveCount,
    redriveDate: execution.redriveDate === undefined ? undefined : seconds(execution.redriveDate),
    ...redriveStatusOf(execution.status),
  };
}

/** Members of event details that carry execution data, left out when includeExecutionData is false. */
const EXECUTION_DATA: ReadonlySet<string> = new Set(["input", "output"]);

/** A history event with its details under AWS's `<x>EventDetails` member. */
export function historyEventOutput(event: HistoryEvent, includeExecutionData: boolean) {
  const details =
    event.details === undefined || includeExecutionData
      ? event.details
      : Object.fromEntries(Object.entries(event.details).filter(([key]) => !EXECUTION_DATA.has(key)));
  return {
    timestamp: seconds(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
    ...(details === undefined ? {} : { [detailsMemberOf(event.type)]: details }),
  };
}
