import type { SqsEvent } from "../functions/sqs-event.js";
import type { Handler } from "../functions/types.js";
import type { PipelineApi } from "./api-client.js";
import { ServiceRefused } from "./errors.js";
import { type BatchResponse, eachRecord } from "./task-answers.js";

/** What this function reads of EventBridge's "Step Functions Execution Status Change" event. */
interface StatusChangeEvent {
  detail?: {
    executionArn?: unknown;
    status?: unknown;
    input?: unknown;
    error?: unknown;
    cause?: unknown;
    redriveCount?: unknown;
  };
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The container an execution of digitize works on: `containerId` of its input. */
function containerOf(input: unknown): string | undefined {
  try {
    const { containerId } = JSON.parse(String(input)) as { containerId?: unknown };
    return typeof containerId === "string" && containerId !== "" ? containerId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a status change asks anything of the container: a start leaves it New, and a success
 * follows Verify, which gave the container its verdict; a failure, and a redrive (the container
 * goes back from Error to Processing), do.
 */
function changesContainer(status: string, redriveCount: unknown): boolean {
  if (status === "SUCCEEDED") return false;
  if (status === "RUNNING") return typeof redriveCount === "number" && redriveCount > 0;
  return true;
}

/**
 * Queue `execution-status`: each status change of a digitize execution, told to the containers
 * service, which brings the container in line (a failed execution leaves it in Error with the
 * reason). The service unavailable: the record comes back. An event that names no container, or
 * that the service refuses, has no one else to go to and is dropped.
 */
export const executionStatus =
  (deps: { api: PipelineApi }): Handler<SqsEvent, BatchResponse> =>
  (event, context) =>
    eachRecord(event, async (record) => {
      let change: StatusChangeEvent;
      try {
        change = JSON.parse(record.body) as StatusChangeEvent;
      } catch {
        return "done";
      }
      const detail = change?.detail;
      const containerId = containerOf(detail?.input);
      const executionArn = text(detail?.executionArn);
      const status = text(detail?.status);
      if (!containerId || !executionArn || !status) return "done";
      if (!changesContainer(status, detail?.redriveCount)) return "done";
      const error = text(detail?.error);
      const cause = text(detail?.cause);
      try {
        await deps.api.executionStatus(
          containerId,
          {
            executionArn,
            status,
            ...(error !== undefined ? { error } : {}),
            ...(cause !== undefined ? { cause } : {}),
          },
          context.signal,
        );
        return "done";
      } catch (failure) {
        return failure instanceof ServiceRefused ? "done" : "retry";
      }
    });
