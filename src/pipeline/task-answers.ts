import type { SqsEvent, SqsRecord } from "../functions/sqs-event.js";
import type { FunctionContext, Handler } from "../functions/types.js";
import type { States } from "../states/engine.js";
import { invalidMessage, isServiceUnavailable, PipelineError } from "./errors.js";

/**
 * How the queue functions answer the digitize execution's `.waitForTaskToken` tasks:
 * SendTaskSuccess and SendTaskFailure, in process (`states.tasks`) under `inflow serve` and
 * `inflow worker`, or through the Step Functions API for functions that run elsewhere.
 */
export interface TaskAnswers {
  sendTaskSuccess(token: string, output: string): Promise<void>;
  sendTaskFailure(token: string, error: string, cause: string): Promise<void>;
}

/** The answers of a process that runs the workflow engine itself. */
export const inProcessAnswers = (states: States): TaskAnswers => ({
  sendTaskSuccess: (token, output) => states.tasks.sendSuccess(token, output),
  sendTaskFailure: (token, error, cause) => states.tasks.sendFailure(token, error, cause),
});

/** What a function returns with ReportBatchItemFailures: the records to receive again. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** A record is done (deleted from its queue, answered or not worth answering) or comes back later. */
export type RecordOutcome = "done" | "retry";

/**
 * Handles each record of a batch at once, and reports the ones to retry as batch item failures,
 * so one record's trouble never makes the others run again.
 */
export async function eachRecord(
  event: SqsEvent,
  handle: (record: SqsRecord) => Promise<RecordOutcome>,
): Promise<BatchResponse> {
  const outcomes = await Promise.all(
    event.Records.map((record) => handle(record).catch((): RecordOutcome => "retry")),
  );
  return {
    batchItemFailures: event.Records.filter((_, index) => outcomes[index] === "retry").map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
}

/** The message every task state of digitize sends: its token, its container, and what the task adds. */
export interface TaskMessage {
  taskToken: string;
  containerId: string;
  [field: string]: unknown;
}

/** The token of a message, if it is a JSON object with one; nothing can be answered without it. */
function taskMessageOf(body: string): { taskToken: string; message: Record<string, unknown> } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (message === null || typeof message !== "object" || Array.isArray(message)) return undefined;
  const { taskToken } = message as { taskToken?: unknown };
  return typeof taskToken === "string" && taskToken !== ""
    ? { taskToken, message: message as Record<string, unknown> }
    : undefined;
}

/** Answers to a token that nothing waits for any more: the execution moved on, was stopped, or timed out. */
const GONE = new Set(["TaskDoesNotExist", "InvalidToken", "TaskTimedOut"]);

/** Sends an answer: done when delivered or when nothing waits for it any more, retried otherwise. */
async function deliver(send: () => Promise<void>): Promise<RecordOutcome> {
  try {
    await send();
    return "done";
  } catch (error) {
    return GONE.has((error as Error).name) ? "done" : "retry";
  }
}

/**
 * A queue function of digitize: for each record, `work` calls the service and its result is the
 * task's output (SendTaskSuccess). A refusal (any PipelineError but the service being unavailable)
 * fails the task with its name and message (SendTaskFailure), never retried. The service being
 * unavailable, or anything unexpected, leaves the record to come back after its visibility timeout
 * and, past maxReceiveCount, go to the dead-letter queue, whose function fails the task. An answer
 * nothing waits for any more is dropped; an answer that could not be delivered is retried.
 */
export function answerTasks(
  answers: TaskAnswers,
  work: (message: TaskMessage, context: FunctionContext, record: SqsRecord) => Promise<unknown>,
): Handler<SqsEvent, BatchResponse> {
  return (event, context) =>
    eachRecord(event, async (record) => {
      const task = taskMessageOf(record.body);
      // Nothing waits on a message without a token: there is no one to answer, so it is dropped.
      if (!task) return "done";
      const { taskToken } = task;
      let output: unknown;
      try {
        if (typeof task.message.containerId !== "string" || task.message.containerId === "") {
          throw invalidMessage(`The message has no containerId: ${record.body.slice(0, 200)}`);
        }
        output = await work(task.message as TaskMessage, context, record);
      } catch (error) {
        if (isServiceUnavailable(error) || !(error instanceof PipelineError)) return "retry";
        return deliver(() => answers.sendTaskFailure(taskToken, error.name, error.message));
      }
      return deliver(() => answers.sendTaskSuccess(taskToken, JSON.stringify(output ?? null)));
    });
}
