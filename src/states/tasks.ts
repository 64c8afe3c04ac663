import { QueueError } from "../queues/errors.js";
import type { SendInput } from "../queues/types.js";
import type { Queryable } from "../store/types.js";
import { StatesError } from "./errors.js";
import type { NewEvent } from "./history.js";
import type { TaskCall } from "./kinds/task.js";
import { describeResource, type TaskResource } from "./resources.js";
import { loadRun, type Run, saveRun } from "./runs.js";
import { type StepContext, wakeRun } from "./step.js";
import { sendStep } from "./steps-queue.js";

/** What became of a task call within the step: done at once, failed, or waiting for an answer. */
export type TaskProgress =
  | { kind: "done"; result: unknown }
  | { kind: "failed"; error: StatesError }
  | { kind: "waiting"; run: Run };

export const TOKEN_STATUSES = Object.freeze(["PENDING", "SUCCEEDED", "FAILED", "TIMED_OUT"] as const);
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

function queueNameOf(queueUrl: unknown): string {
  if (typeof queueUrl !== "string")
    throw new StatesError("SQS.MissingParameterException", "QueueUrl is required");
  return queueUrl.replace(/\/+$/, "").split("/").pop() ?? "";
}

function sendInputOf(parameters: Record<string, unknown>): SendInput {
  const body = parameters.MessageBody;
  return {
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(parameters.DelaySeconds !== undefined ? { delaySeconds: Number(parameters.DelaySeconds) } : {}),
    ...(parameters.MessageAttributes !== undefined
      ? { messageAttributes: parameters.MessageAttributes as SendInput["messageAttributes"] }
      : {}),
    ...(parameters.MessageGroupId !== undefined ? { messageGroupId: String(parameters.MessageGroupId) } : {}),
    ...(parameters.MessageDeduplicationId !== undefined
      ? { messageDeduplicationId: String(parameters.MessageDeduplicationId) }
      : {}),
  };
}

/** SQS errors surface to the workflow as `SQS.<Name>`, the way AWS's service integrations name them. */
async function sendToQueue(step: StepContext, parameters: unknown): Promise<Record<string, unknown>> {
  const given = (parameters ?? {}) as Record<string, unknown>;
  try {
    const sent = await step.queues.sendMessage(queueNameOf(given.QueueUrl), sendInputOf(given));
    return {
      MD5OfMessageBody: sent.md5OfMessageBody,
      MessageId: sent.messageId,
      ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
    };
  } catch (error) {
    if (error instanceof QueueError) throw new StatesError(`SQS.${error.name}`, error.message);
    throw error;
  }
}

/**
 * Starts a task call inside the step's transaction. A message to an Inflow queue is sent in the
 * same transaction as the state change; calls that leave the database (functions) are handed to
 * the worker as an `invoke` step, so the transaction never waits on them.
 */
export async function startTask(
  step: StepContext,
  before: Run,
  run: Run,
  call: TaskCall,
  events: NewEvent[],
): Promise<TaskProgress> {
  const { now } = step;
  const described = describeResource(call.resource);
  if (isLambdaFunction(call.resource)) {
    events.push({
      type: "LambdaFunctionScheduled",
      details: {
        resource: call.resource.arn,
        input: JSON.stringify(call.parameters),
        inputDetails: { truncated: false },
        ...(call.timeoutSeconds !== undefined ? { timeoutInSeconds: call.timeoutSeconds } : {}),
      },
    });
    events.push({ type: "LambdaFunctionStarted" });
  } else {
    events.push({
      type: "TaskScheduled",
      details: {
        ...described,
        region: step.region,
        parameters: JSON.stringify(call.parameters),
        ...(call.timeoutSeconds !== undefined ? { timeoutInSeconds: call.timeoutSeconds } : {}),
        ...(call.heartbeatSeconds !== undefined ? { heartbeatInSeconds: call.heartbeatSeconds } : {}),
      },
    });
    events.push({ type: "TaskStarted", details: described });
  }

  if (call.resource.service === "sqs") {
    let sent: Record<string, unknown>;
    try {
      sent = await sendToQueue(step, call.parameters);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      events.push({ type: "TaskFailed", details: { ...described, error: error.name, cause: error.cause } });
      return { kind: "failed", error };
    }
    if (call.resource.pattern === "request") {
      events.push({ type: "TaskSucceeded", details: { ...described, output: JSON.stringify(sent) } });
      return { kind: "done", result: sent };
    }
    events.push({ type: "TaskSubmitted", details: { ...described, output: JSON.stringify(sent) } });
  }

  const waiting: Run = {
    ...run,
    status: "WAITING",
    phase: "resume",
    stateData: {
      ...run.stateData,
      resume: undefined,
      task: {
        resource: call.resource.arn,
        parameters: call.parameters,
        // A function call has no token to time out: the worker that calls it holds the deadline.
        ...(call.resource.service === "lambda" && !call.token && call.timeoutSeconds !== undefined
          ? { deadline: now + call.timeoutSeconds * 1000 }
          : {}),
      },
    },
  };
  const version = await saveRun(step.tx, before, waiting, now);
  if (call.token) {
    const timeoutAt = call.timeoutSeconds !== undefined ? now + call.timeoutSeconds * 1000 : null;
    await step.tx.run(
      `INSERT INTO task_tokens (token, run_id, execution_id, run_version, status, resource, timeout_at,
         heartbeat_seconds, heartbeat_at, created_at)
       VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $8)`,
      [
        call.token,
        run.id,
        step.execution.id,
        version,
        call.resource.arn,
        timeoutAt,
        call.heartbeatSeconds ?? null,
        now,
      ],
    );
    const due = nextDue(timeoutAt, call.heartbeatSeconds ?? null, now);
    if (due !== undefined)
      await sendStep(step.queues, { kind: "task-timeout", token: call.token }, due - now);
  }
  if (call.resource.service === "lambda") {
    await sendStep(step.queues, { kind: "invoke", run: run.id, version });
  }
  if (call.resource.service === "states") {
    await sendStep(step.queues, { kind: "invoke", run: run.id, version });
  }
  return { kind: "waiting", run: { ...waiting, version } };
}

/**
 * A Lambda function named by its ARN as the Resource (the form that predates `lambda:invoke`):
 * AWS records its calls as LambdaFunction* events rather than Task* ones.
 */
export function isLambdaFunction(resource: TaskResource): boolean {
  return resource.service === "lambda" && resource.functionName !== undefined;
}

export function nextDue(
  timeoutAt: number | null,
  heartbeatSeconds: number | null,
  heartbeatAt: number,
): number | undefined {
  const candidates = [
    timeoutAt,
    heartbeatSeconds !== null ? heartbeatAt + heartbeatSeconds * 1000 : null,
  ].filter((value): value is number => value !== null);
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}

interface TokenRow {
  token: string;
  run_id: number;
  execution_id: number;
  run_version: number;
  status: TokenStatus;
  resource: string;
  timeout_at: number | null;
  heartbeat_seconds: number | null;
  heartbeat_at: number;
}

export async function loadToken(tx: Queryable, token: string): Promise<TokenRow | undefined> {
  const [row] = await tx.query<TokenRow>(
    `SELECT token, run_id, execution_id, run_version, status, resource, timeout_at, heartbeat_seconds, heartbeat_at
     FROM task_tokens WHERE token = $1${tx.dialect === "postgres" ? " FOR UPDATE" : ""}`,
    [token],
  );
  return row;
}

export async function setTokenStatus(tx: Queryable, token: string, status: TokenStatus): Promise<void> {
  await tx.run("UPDATE task_tokens SET status = $1 WHERE token = $2 AND status = 'PENDING'", [status, token]);
}

export async function touchToken(tx: Queryable, token: string, now: number): Promise<void> {
  await tx.run("UPDATE task_tokens SET heartbeat_at = $1 WHERE token = $2", [now, token]);
}

/**
 * Resumes a run waiting on a task with its answer: a result, or an error for Retry and Catch.
 * Returns the resumed run, or undefined when the run no longer waits for this task (it moved on,
 * was stopped, or redriven).
 */
export async function answerTask(
  step: StepContext,
  runId: number,
  expectedVersion: number,
  answer: { result: unknown } | { error: { error: string; cause: string } },
  event: { type: string; details: Record<string, unknown> },
): Promise<Run | undefined> {
  const run = await loadRun(step.tx, runId);
  if (!run || run.version !== expectedVersion || run.status !== "WAITING") return undefined;
  step.history.append(step.execution.id, [event]);
  const resumed: Run = { ...run, status: "RUNNING", stateData: { ...run.stateData, resume: answer } };
  const version = await saveRun(step.tx, run, resumed, step.now);
  await wakeRun(step, run.id, version);
  return { ...resumed, version };
}
