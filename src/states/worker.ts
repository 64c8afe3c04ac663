import { setMaxListeners } from "node:events";
import type { Queues, ReceivedMessage } from "../queues/types.js";
import type { Queryable, Store } from "../store/types.js";
import { HISTORY_LIMIT, HistoryLimitExceeded, STATES_ERRORS, StatesError } from "./errors.js";
import { infoOf, lockExecution } from "./execution-rows.js";
import { appendEvents } from "./history.js";
import { finishStep, openStep } from "./inline.js";
import type { Machines } from "./machines.js";
import { insertExecution } from "./new-execution.js";
import { describeResource, parseResource } from "./resources.js";
import { loadRun } from "./runs.js";
import { advance, closeExecution, reportToParentExecution, type StepContext } from "./step.js";
import { STEPS_QUEUE, type StepMessage, sendStep, stepsQueueSetup } from "./steps-queue.js";
import { answerTask, isLambdaFunction, loadToken, nextDue, setTokenStatus } from "./tasks.js";

/**
 * How long a received step stays hidden. Steps take milliseconds, so a short timeout means a
 * crashed worker's steps are picked up again soon; a function call that runs longer keeps its
 * step hidden by extending the timeout while it runs.
 */
const STEP_VISIBILITY_SECONDS = 10;

/**
 * Calls a registered function (the functions part supplies it) and returns its result or throws.
 * `reference` is what the task names: a function name, or a partial or full ARN, qualifier included.
 */
export type FunctionInvoker = (reference: string, payload: unknown) => Promise<unknown>;

export interface WorkerOptions {
  now: () => number;
  region: string;
  accountId: string;
  machines: Machines;
  invoke?: FunctionInvoker;
  concurrency?: number;
  onError?: (error: unknown) => void;
}

const DEADLINE_PASSED = Symbol("the task's TimeoutSeconds ran out");

/**
 * Runs a function call unless the task's deadline comes first. The call itself can't be stopped
 * (a Lambda handler runs on, too); its late answer is dropped.
 */
async function beforeDeadline<T>(call: () => Promise<T>, deadline: number | undefined, now: () => number) {
  if (deadline === undefined) return call();
  const left = deadline - now();
  if (left <= 0) throw DEADLINE_PASSED;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(DEADLINE_PASSED), left);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The history event a function call's answer writes: LambdaFunction* for the legacy ARN form, Task* otherwise. */
function callEvent(
  legacy: boolean,
  described: { resourceType: string; resource: string },
  answer: { result: unknown } | { error: { error: string; cause: string } },
  timedOut: boolean,
): { type: string; details: Record<string, unknown> } {
  if ("result" in answer) {
    const output = JSON.stringify(answer.result);
    return legacy
      ? { type: "LambdaFunctionSucceeded", details: { output, outputDetails: { truncated: false } } }
      : { type: "TaskSucceeded", details: { ...described, output } };
  }
  const details = timedOut ? { error: answer.error.error } : answer.error;
  if (legacy) return { type: timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed", details };
  return { type: timedOut ? "TaskTimedOut" : "TaskFailed", details: { ...described, ...details } };
}

/**
 * Takes steps off the internal queue and applies each in one transaction with the deletion of
 * its message: a crash before the commit leaves the message to come back, a crash after leaves
 * nothing to redo. A step that fails for a reason outside the workflow (a bug, a broken row) fails
 * its execution with States.Runtime rather than coming back forever.
 */
export function createStepWorker(store: Store, queues: Queues, options: WorkerOptions) {
  const stopping = new AbortController();
  // Each step loop's long poll listens for the stop.
  setMaxListeners(0, stopping.signal);
  const loops: Promise<void>[] = [];

  const executionOf = async (tx: Queryable, message: StepMessage): Promise<number | undefined> => {
    if (message.kind === "timeout" || message.kind === "abort") return message.execution;
    if (message.kind === "task-timeout") return (await loadToken(tx, message.token))?.execution_id;
    const [run] = await tx.query<{ execution_id: number }>("SELECT execution_id FROM runs WHERE id = $1", [
      message.run,
    ]);
    return run?.execution_id;
  };

  /** Runs `work` in a transaction with the message's deletion, for a still-running execution. */
  const inStep = (message: StepMessage, receiptHandle: string, work: (step: StepContext) => Promise<void>) =>
    store.transaction(async (tx) => {
      const transactional = queues.within(tx);
      await transactional.deleteMessage(STEPS_QUEUE, receiptHandle);
      const executionId = await executionOf(tx, message);
      if (executionId === undefined) return;
      const row = await lockExecution(tx, executionId);
      if (row?.status !== "RUNNING") return;
      const step = openStep(tx, transactional, {
        now: options.now(),
        region: options.region,
        execution: infoOf(row),
      });
      await work(step);
      await finishStep(step);
    });

  const apply = async (message: StepMessage, receiptHandle: string): Promise<void> => {
    if (message.kind === "invoke") return invoke(message, receiptHandle);
    await inStep(message, receiptHandle, async (step) => {
      const { tx, now, execution } = step;
      if (message.kind === "timeout") {
        const due = execution.startedAt + (execution.definition.TimeoutSeconds ?? 0) * 1000;
        if (due > now) return sendStep(step.queues, message, due - now);
        step.history.append(execution.id, [
          { type: "ExecutionTimedOut", details: { error: "States.Timeout" } },
        ]);
        await closeExecution(tx, step.queues, execution, now, {
          status: "TIMED_OUT",
          error: "States.Timeout",
        });
        return reportToParentExecution(step, execution, { status: "TIMED_OUT", error: "States.Timeout" });
      }
      if (message.kind === "abort") {
        step.history.append(execution.id, [{ type: "ExecutionAborted" }]);
        return closeExecution(tx, step.queues, execution, now, { status: "ABORTED" });
      }
      if (message.kind === "task-timeout") {
        const token = await loadToken(tx, message.token);
        if (token?.status !== "PENDING") return;
        const due = nextDue(token.timeout_at, token.heartbeat_seconds, token.heartbeat_at);
        if (due === undefined) return;
        if (due > now) return sendStep(step.queues, message, due - now);
        const timedOut = token.timeout_at !== null && token.timeout_at <= now;
        const error = { error: timedOut ? "States.Timeout" : "States.HeartbeatTimeout", cause: "" };
        await setTokenStatus(tx, token.token, "TIMED_OUT");
        await answerTask(
          step,
          token.run_id,
          token.run_version,
          { error },
          {
            type: "TaskTimedOut",
            details: { ...describeResource(parseResource(token.resource)), error: error.error },
          },
        );
        return;
      }
      const run = await loadRun(tx, message.run);
      if (!run || run.version !== message.version) return;
      if (run.status !== "RUNNING" && run.status !== "WAITING") return;
      if (run.wakeAt !== null && run.wakeAt > now) return sendStep(step.queues, message, run.wakeAt - now);
      await advance(step, run);
    });
  };

  /**
   * A task that calls out: a function runs outside any transaction (it may take long and may
   * call Inflow itself); its answer then resumes the run in one. A child execution starts inside
   * the step. At least once, as with Lambda: a crash mid-call makes the call again.
   */
  const invoke = async (message: Extract<StepMessage, { kind: "invoke" }>, receiptHandle: string) => {
    const run = await loadRun(store, message.run);
    const task = run?.stateData.task;
    if (!run || !task || run.version !== message.version || run.status !== "WAITING") {
      await queues.deleteMessage(STEPS_QUEUE, receiptHandle);
      return;
    }
    const resource = parseResource(task.resource);
    const described = describeResource(resource);
    if (resource.service === "states") {
      await inStep(message, receiptHandle, (step) =>
        startChildExecution(step, run.id, message.version, task.parameters, resource.pattern),
      );
      return;
    }
    const legacy = isLambdaFunction(resource);
    let answer: { result: unknown } | { error: { error: string; cause: string } };
    let timedOut = false;
    try {
      if (!options.invoke)
        throw new StatesError("Lambda.ServiceException", "No functions are registered in this process.");
      const parameters = (task.parameters ?? {}) as Record<string, unknown>;
      // The registry resolves names, partial and full ARNs and their qualifiers itself.
      const reference = legacy ? resource.arn : String(parameters.FunctionName ?? "");
      const payload = legacy ? task.parameters : parameters.Payload;
      const keepHidden = setInterval(
        () => {
          queues
            .changeMessageVisibility(STEPS_QUEUE, receiptHandle, STEP_VISIBILITY_SECONDS)
            .catch(options.onError);
        },
        (STEP_VISIBILITY_SECONDS * 1000) / 2,
      );
      let returned: unknown;
      try {
        returned = await beforeDeadline(
          () => options.invoke!(reference, payload),
          task.deadline,
          options.now,
        );
      } finally {
        clearInterval(keepHidden);
      }
      answer = {
        result: legacy ? returned : { ExecutedVersion: "$LATEST", Payload: returned, StatusCode: 200 },
      };
    } catch (error) {
      timedOut = error === DEADLINE_PASSED;
      answer = timedOut
        ? { error: { error: STATES_ERRORS.Timeout, cause: "" } }
        : error instanceof StatesError
          ? { error: { error: error.name, cause: error.cause } }
          : {
              error: {
                error: (error as Error)?.name || "Error",
                cause: (error as Error)?.message ?? String(error),
              },
            };
    }
    await inStep(message, receiptHandle, async (step) => {
      if (resource.pattern === "token" && "result" in answer) return;
      await answerTask(step, run.id, message.version, answer, callEvent(legacy, described, answer, timedOut));
    });
  };

  const startChildExecution = async (
    step: StepContext,
    runId: number,
    version: number,
    parameters: unknown,
    pattern: "request" | "sync" | "token",
  ) => {
    const given = (parameters ?? {}) as Record<string, unknown>;
    const described = {
      resourceType: "states",
      resource: pattern === "sync" ? "startExecution.sync" : "startExecution",
    };
    let machine: Awaited<ReturnType<Machines["byArn"]>>;
    try {
      machine = await options.machines.byArn(String(given.StateMachineArn), step.tx);
    } catch (error) {
      const failure = {
        error: "StepFunctions.StateMachineDoesNotExistException",
        cause: (error as Error).message,
      };
      await answerTask(
        step,
        runId,
        version,
        { error: failure },
        { type: "TaskFailed", details: { ...described, ...failure } },
      );
      return;
    }
    const name = typeof given.Name === "string" ? given.Name : crypto.randomUUID();
    const input =
      given.Input === undefined
        ? {}
        : typeof given.Input === "string"
          ? JSON.parse(given.Input)
          : given.Input;
    const arn = `arn:aws:states:${options.region}:${options.accountId}:execution:${machine.name}:${name}`;
    await insertExecution(step.tx, step.queues, {
      arn,
      name,
      machine,
      text: JSON.stringify(input),
      parsed: input,
      now: step.now,
      ...(pattern === "sync" ? { parent: { runId, version } } : {}),
    });
    if (pattern !== "sync") {
      const result = { ExecutionArn: arn, StartDate: step.now };
      await answerTask(
        step,
        runId,
        version,
        { result },
        {
          type: "TaskSucceeded",
          details: { ...described, output: JSON.stringify(result) },
        },
      );
    }
  };

  /**
   * Ends an execution whose step failed outside the workflow's own error handling: a history
   * that reached its limit, or a bug. Either way it fails with States.Runtime rather than coming
   * back forever, and an execution waiting on it (`.sync`) hears of it.
   */
  const failExecution = async (message: StepMessage, receiptHandle: string, error: unknown) => {
    const atLimit = error instanceof HistoryLimitExceeded;
    if (!atLimit) options.onError?.(error);
    await store.transaction(async (tx) => {
      const transactional = queues.within(tx);
      await transactional.deleteMessage(STEPS_QUEUE, receiptHandle);
      const executionId = await executionOf(tx, message);
      if (executionId === undefined) return;
      const row = await lockExecution(tx, executionId);
      if (row?.status !== "RUNNING") return;
      const now = options.now();
      const cause = atLimit
        ? `The execution reached the maximum number of history events (${HISTORY_LIMIT}).`
        : `Internal error while running the state machine: ${(error as Error)?.message ?? String(error)}`;
      const ending = { status: "FAILED" as const, error: STATES_ERRORS.Runtime, cause };
      await appendEvents(tx, row.id, now, [
        { type: "ExecutionFailed", details: { error: ending.error, cause } },
      ]);
      const step = openStep(tx, transactional, { now, region: options.region, execution: infoOf(row) });
      await closeExecution(tx, transactional, step.execution, now, ending);
      await reportToParentExecution(step, step.execution, ending);
      await step.history.flush();
    });
  };

  const handle = async (message: ReceivedMessage) => {
    const body = JSON.parse(message.body) as StepMessage;
    try {
      await apply(body, message.receiptHandle);
    } catch (error) {
      await failExecution(body, message.receiptHandle, error).catch(options.onError);
    }
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      let messages: ReceivedMessage[];
      try {
        messages = await queues.receiveMessage(STEPS_QUEUE, {
          maxNumberOfMessages: 10,
          visibilityTimeout: STEP_VISIBILITY_SECONDS,
          waitTimeSeconds: 20,
          signal: stopping.signal,
        });
      } catch (error) {
        if (stopping.signal.aborted) return;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      for (const message of messages) await handle(message);
    }
  };

  return {
    async start(): Promise<void> {
      await stepsQueueSetup(queues)();
      for (let i = 0; i < (options.concurrency ?? 2); i++) loops.push(loop());
    },
    async stop(): Promise<void> {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}
