import type { TransactionalQueues } from "../queues/types.js";
import type { Queryable } from "../store/types.js";
import { containerAt, topLanguage } from "./containers.js";
import { STATES_ERRORS, StatesError } from "./errors.js";
import { infoOf, lockExecution } from "./execution-rows.js";
import type { EventLog, NewEvent } from "./history.js";
import { exitState, languageOf } from "./io.js";
import { enterChoice } from "./kinds/choice.js";
import { enterFail } from "./kinds/fail.js";
import { enterMap, enterParallel } from "./kinds/map.js";
import type { ExitFields, Outcome, StateEnv } from "./kinds/outcome.js";
import { nextOf } from "./kinds/outcome.js";
import { enterPass } from "./kinds/pass.js";
import { enterSucceed } from "./kinds/succeed.js";
import { enterTask } from "./kinds/task.js";
import { enterWait } from "./kinds/wait.js";
import { checkExecutionTransition, checkRunTransition } from "./lifecycle.js";
import { abortIterations, endMapRun, insertMapRun, startIteration } from "./map-runs.js";
import { type Catcher, findCatcher, planRetry, type Retrier } from "./retry.js";
import { childrenOf, deleteDescendants, insertRun, loadRun, type Run, saveRun } from "./runs.js";
import type { ContextObject, Scope } from "./scope.js";
import { sendStatusEvent } from "./status-events.js";
import { sendStep } from "./steps-queue.js";
import { answerTask, startTask } from "./tasks.js";
import type { ExecutionStatus, MachineDefinition, StateDefinition, StateMachineType } from "./types.js";

/** Errors raised while a state evaluates its fields; their causes name the state and its entry event. */
const LOCATED_ERRORS = new Set<string>([
  STATES_ERRORS.Runtime,
  STATES_ERRORS.QueryEvaluationError,
  STATES_ERRORS.IntrinsicFailure,
]);

/** Inflow keeps payloads whole (they are bounded at 256 KiB), so history never truncates them. */
const UNTRUNCATED = Object.freeze({ truncated: false });

/** Transitions one step may chain before it yields to other runs. */
const MAX_CHAIN = 200;
/** The Standard workflow payload limit. */
const MAX_PAYLOAD_BYTES = 262_144;

/** What a step needs to know about the execution its run belongs to. */
export interface ExecutionInfo {
  id: number;
  arn: string;
  name: string;
  input: unknown;
  startedAt: number;
  definition: MachineDefinition;
  stateMachineArn: string;
  stateMachineName: string;
  roleArn: string;
  machineType: StateMachineType;
  status: ExecutionStatus;
  redriveCount: number;
  /** Set when a `states:startExecution.sync` task of another execution waits for this one. */
  parentRunId: number | null;
  parentRunVersion: number | null;
  /** Set when this execution is an iteration of a Distributed Map run. */
  mapRunId: number | null;
  /** Where its state machine sends status change events (status-events.ts); null: nowhere. */
  statusQueue: string | null;
}

export interface StepContext {
  tx: Queryable;
  queues: TransactionalQueues;
  now: number;
  region: string;
  execution: ExecutionInfo;
  /** The transaction's history events, written before it commits. */
  history: EventLog;
  /** Runs of this execution made ready by this step, to advance in the same transaction (see inline.ts). */
  ready?: ReadyRuns | undefined;
}

/**
 * Runs woken within one transaction (a Map iteration started, a parent woken by its last child,
 * a task answered) and how many more transitions the transaction may make. Advancing them in the
 * same transaction saves a queued step, a receive and a commit each; past the budget they go to
 * the steps queue like any other step, so one transaction never grows without bound.
 */
export interface ReadyRuns {
  /**
   * `loaded`: the run as saved, given only by a caller that saved it and ran nothing since (a
   * request's own step), so that it need not be read again.
   */
  runs: Array<{ run: number; version: number; loaded?: Run }>;
  transitionsLeft: number;
}

/** A run of the step's execution can go on now: in this transaction if it may, else as a queued step. */
export async function wakeRun(step: StepContext, run: number, version: number): Promise<void> {
  if (step.ready && step.ready.transitionsLeft > 0) step.ready.runs.push({ run, version });
  else await sendStep(step.queues, { kind: "run", run, version });
}

const iso = (millis: number) => new Date(millis).toISOString();

function contextObject(execution: ExecutionInfo, run: Run, enteredAt: number): ContextObject {
  return {
    Execution: {
      Id: execution.arn,
      Input: execution.input,
      Name: execution.name,
      RoleArn: execution.roleArn,
      StartTime: iso(execution.startedAt),
      // Express executions cannot be redriven, and their context object has no count.
      ...(execution.machineType === "STANDARD" ? { RedriveCount: execution.redriveCount } : {}),
    },
    State: {
      EnteredTime: iso(enteredAt),
      Name: run.stateName,
      // AWS shows RetryCount only once a Retrier has retried the state.
      ...(run.stateData.retries ? { RetryCount: run.stateData.retries.reduce((a, b) => a + b, 0) } : {}),
    },
    StateMachine: { Id: execution.stateMachineArn, Name: execution.stateMachineName },
    ...(run.stateData.mapItem
      ? { Map: { Item: { Index: run.stateData.mapItem.index, Value: run.stateData.mapItem.value } } }
      : {}),
  };
}

const ENTER: Record<string, (env: StateEnv) => Promise<Outcome>> = {
  Pass: enterPass,
  Choice: enterChoice,
  Wait: enterWait,
  Succeed: enterSucceed,
  Fail: enterFail,
  Map: enterMap,
  Parallel: enterParallel,
  Task: enterTask,
};

function payloadTooLarge(value: unknown): boolean {
  const text = JSON.stringify(value);
  return text !== undefined && Buffer.byteLength(text, "utf8") > MAX_PAYLOAD_BYTES;
}

/** The result a resumed state goes on with: a Wait's input, a task's answer, its children's outputs. */
async function resumeOutcome(step: StepContext, state: StateDefinition, run: Run): Promise<Outcome> {
  const resume = run.stateData.resume;
  if (resume?.error) return { type: "error", error: new StatesError(resume.error.error, resume.error.cause) };
  if (state.Type === "Map" || state.Type === "Parallel") {
    const children = await childrenOf(step.tx, run.id);
    const result = children.map((child) =>
      child.status === "SUCCEEDED"
        ? child.output
        : { Error: child.error ?? undefined, Cause: child.cause ?? undefined },
    );
    return { type: "complete", result, next: nextOf(state) };
  }
  return { type: "complete", result: resume?.result, next: nextOf(state) };
}

/** JSONPath puts `{Error, Cause}` where the Catcher's ResultPath says; JSONata hands it to Output/Assign. */
async function catchOutcome(
  state: StateDefinition,
  language: "JSONPath" | "JSONata",
  scope: Scope,
  error: StatesError,
  catcher: Catcher,
) {
  const errorOutput = { Error: error.name, Cause: error.cause };
  if (language === "JSONata") {
    return exitState(state, language, { ...scope, errorOutput }, errorOutput, {
      Output: catcher.Output === undefined ? "{% $states.errorOutput %}" : catcher.Output,
      Assign: catcher.Assign,
    });
  }
  return exitState(state, language, scope, errorOutput, {
    ResultPath: catcher.ResultPath,
    Assign: catcher.Assign,
  });
}

/**
 * Advances a run as far as it can go now: through any number of states that finish at once
 * (Pass, Choice, an elapsed Wait...), up to one that must wait (a timer, a task, children) or the
 * end of the run. Everything it writes goes through `step.tx`.
 */
export async function advance(step: StepContext, loaded: Run): Promise<void> {
  if (loaded.stateData.mapRun && loaded.phase === "enter") {
    await startIteration(step, loaded, loaded.stateData.mapRun);
    return;
  }
  const { execution, now } = step;
  // A run woken from waiting is running again; later writes are checked from there.
  checkRunTransition(loaded.status, "RUNNING");
  const before: Run = { ...loaded, status: "RUNNING" };
  const events: NewEvent[] = [];
  let run: Run = { ...before, status: "RUNNING", wakeAt: null };
  const flush = () => step.history.append(execution.id, events.splice(0));
  let entered: (typeof events)[number] | undefined;

  /** The id of the current state's StateEntered event, which AWS quotes in runtime error causes. */
  const enteredEventId = async (): Promise<number> => {
    const index = entered ? events.indexOf(entered) : -1;
    if (index >= 0) {
      const count = events.length;
      flush();
      return (await step.history.flush(execution.id)) - count + 1 + index;
    }
    const rows = await step.tx.query<{ id: number; details: string }>(
      "SELECT id, details FROM history_events WHERE execution_id = $1 AND type LIKE '%StateEntered' ORDER BY id DESC LIMIT 500",
      [execution.id],
    );
    return rows.find((row) => (JSON.parse(row.details) as { name?: string }).name === run.stateName)?.id ?? 0;
  };
  /** Runtime errors of a state's own evaluation say where they happened, as AWS words it. */
  const located = async (error: StatesError): Promise<StatesError> => {
    if (!LOCATED_ERRORS.has(error.name)) return error;
    const id = await enteredEventId();
    return new StatesError(
      error.name,
      `An error occurred while executing the state '${run.stateName}' (entered at the event id #${id}). ${error.cause}`,
    );
  };

  for (let transitions = 0; ; transitions++) {
    const overBudget = step.ready !== undefined && step.ready.transitionsLeft <= 0;
    if (transitions >= MAX_CHAIN || overBudget) {
      const version = await saveRun(step.tx, before, run, now);
      flush();
      await sendStep(step.queues, { kind: "run", run: run.id, version });
      return;
    }
    if (step.ready) step.ready.transitionsLeft -= 1;
    const container = containerAt(execution.definition, run.container);
    const state = container.States[run.stateName];
    if (!state) throw new Error(`State ${run.stateName} is not in ${run.container || "the top level"}`);
    const language = languageOf(state, topLanguage(execution.definition));
    if (run.phase === "enter" && run.stateData.enteredAt === undefined) {
      run = { ...run, stateData: { ...run.stateData, enteredAt: now } };
    }
    const scope: Scope = {
      input: run.stateInput,
      context: contextObject(execution, run, run.stateData.enteredAt ?? now),
      variables: run.variables,
    };
    let outcome: Outcome;
    try {
      if (run.phase === "enter") {
        if (!run.stateData.retries) {
          entered = {
            type: `${state.Type}StateEntered`,
            details: {
              name: run.stateName,
              input: JSON.stringify(run.stateInput),
              inputDetails: UNTRUNCATED,
            },
          };
          events.push(entered);
        }
        const enter = ENTER[state.Type];
        if (!enter) throw new StatesError(STATES_ERRORS.Runtime, `Unsupported state type ${state.Type}`);
        outcome = await enter({ name: run.stateName, state, language, scope, now, container: run.container });
      } else {
        outcome = await resumeOutcome(step, state, run);
      }
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      outcome = { type: "error", error: await located(error) };
    }

    if (outcome.type === "wait" && outcome.until <= now) {
      outcome = { type: "complete", result: outcome.result, next: nextOf(state) };
    }
    if (outcome.type === "spawn" && outcome.children.length === 0) {
      outcome = { type: "complete", result: [], next: nextOf(state) };
    }

    if (outcome.type === "complete") {
      let exit: { output: unknown; variables: Record<string, unknown> } | undefined;
      try {
        exit = await exitState(
          state,
          language,
          scope,
          outcome.result,
          outcome.fields ?? (state as ExitFields),
        );
        if (payloadTooLarge(exit.output)) {
          throw new StatesError(
            STATES_ERRORS.DataLimitExceeded,
            `The state/task '${run.stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
          );
        }
      } catch (error) {
        if (!(error instanceof StatesError)) throw error;
        outcome = { type: "error", error: await located(error) };
      }
      if (exit && outcome.type === "complete") {
        events.push({
          type: `${state.Type}StateExited`,
          details: { name: run.stateName, output: JSON.stringify(exit.output), outputDetails: UNTRUNCATED },
        });
        if (outcome.next === undefined) {
          await finishRun(
            step,
            before,
            { ...run, variables: exit.variables },
            { status: "SUCCEEDED", output: exit.output },
            events,
          );
          return;
        }
        run = {
          ...run,
          stateName: outcome.next,
          phase: "enter",
          stateInput: exit.output,
          variables: exit.variables,
          stateData: run.stateData.mapItem ? { mapItem: run.stateData.mapItem } : {},
        };
        continue;
      }
    }

    switch (outcome.type) {
      case "succeed": {
        events.push({
          type: "SucceedStateExited",
          details: {
            name: run.stateName,
            output: JSON.stringify(outcome.output),
            outputDetails: UNTRUNCATED,
          },
        });
        await finishRun(step, before, run, { status: "SUCCEEDED", output: outcome.output }, events);
        return;
      }
      case "fail": {
        await finishRun(
          step,
          before,
          run,
          { status: "FAILED", error: outcome.error, cause: outcome.cause },
          events,
        );
        return;
      }
      case "wait": {
        run = {
          ...run,
          status: "WAITING",
          phase: "resume",
          wakeAt: outcome.until,
          stateData: { ...run.stateData, resume: { result: outcome.result } },
        };
        const version = await saveRun(step.tx, before, run, now);
        flush();
        await sendStep(step.queues, { kind: "run", run: run.id, version }, outcome.until - now);
        return;
      }
      case "spawn": {
        await spawnChildren(step, before, run, state, outcome, events);
        return;
      }
      case "task": {
        const progress = await startTask(step, before, run, outcome.call, events);
        if (progress.kind === "waiting") {
          flush();
          return;
        }
        // Answered at once (a request-response call): resume the state right away with its answer.
        const resume =
          progress.kind === "done"
            ? { result: progress.result }
            : { error: { error: progress.error.name, cause: progress.error.cause } };
        run = { ...run, phase: "resume", stateData: { ...run.stateData, resume } };
        continue;
      }
      case "error": {
        const handled = await handleError(step, run, state, language, scope, outcome.error, events);
        if (handled.kind === "retry") {
          const version = await saveRun(step.tx, before, handled.run, now);
          flush();
          await sendStep(step.queues, { kind: "run", run: run.id, version }, handled.delayMillis);
          return;
        }
        if (handled.kind === "caught") {
          run = handled.run;
          continue;
        }
        await finishRun(
          step,
          before,
          run,
          { status: "FAILED", error: outcome.error.name, cause: outcome.error.cause || undefined },
          events,
        );
        return;
      }
      default:
        return;
    }
  }
}

type Handled =
  | { kind: "retry"; run: Run; delayMillis: number }
  | { kind: "caught"; run: Run }
  | { kind: "unhandled" };

async function handleError(
  step: StepContext,
  run: Run,
  state: StateDefinition,
  language: "JSONPath" | "JSONata",
  scope: Scope,
  error: StatesError,
  events: NewEvent[],
): Promise<Handled> {
  const attempts = run.stateData.retries ?? [];
  const retry = planRetry(state.Retry as Retrier[] | undefined, error.name, attempts);
  if (retry) {
    const retries = [...attempts];
    retries[retry.index] = (retries[retry.index] ?? 0) + 1;
    return {
      kind: "retry",
      delayMillis: retry.delayMillis,
      run: {
        ...run,
        status: "WAITING",
        phase: "enter",
        wakeAt: step.now + retry.delayMillis,
        stateData: { ...run.stateData, retries, resume: undefined },
      },
    };
  }
  const catcher = findCatcher(state.Catch as Catcher[] | undefined, error.name);
  if (!catcher) return { kind: "unhandled" };
  let exit: { output: unknown; variables: Record<string, unknown> };
  try {
    exit = await catchOutcome(state, language, scope, error, catcher);
  } catch (caughtError) {
    if (!(caughtError instanceof StatesError)) throw caughtError;
    return { kind: "unhandled" };
  }
  events.push({
    type: `${state.Type}StateExited`,
    details: { name: run.stateName, output: JSON.stringify(exit.output), outputDetails: UNTRUNCATED },
  });
  return {
    kind: "caught",
    run: {
      ...run,
      stateName: catcher.Next,
      phase: "enter",
      stateInput: exit.output,
      variables: exit.variables,
      stateData: run.stateData.mapItem ? { mapItem: run.stateData.mapItem } : {},
    },
  };
}

async function spawnChildren(
  step: StepContext,
  before: Run,
  run: Run,
  state: StateDefinition,
  outcome: Extract<Outcome, { type: "spawn" }>,
  events: NewEvent[],
): Promise<void> {
  const { tx, now, execution } = step;
  const limit = outcome.maxConcurrency > 0 ? outcome.maxConcurrency : outcome.children.length;
  const mapRun = outcome.distributed
    ? await insertMapRun(step, run.id, {
        label: outcome.distributed.label,
        maxConcurrency: outcome.maxConcurrency,
        itemCount: outcome.children.length,
        ...(outcome.toleratedCount !== undefined ? { toleratedCount: outcome.toleratedCount } : {}),
        ...(outcome.toleratedPercentage !== undefined
          ? { toleratedPercentage: outcome.toleratedPercentage }
          : {}),
      })
    : undefined;
  events.push(
    mapRun
      ? { type: "MapRunStarted", details: { mapRunArn: mapRun.arn } }
      : state.Type === "Map"
        ? { type: "MapStateStarted", details: { length: outcome.children.length } }
        : { type: "ParallelStateStarted" },
  );
  const waiting: Run = {
    ...run,
    status: "WAITING",
    phase: "resume",
    stateData: {
      ...run.stateData,
      children: {
        total: outcome.children.length,
        maxConcurrency: limit,
        ...(outcome.toleratedCount !== undefined ? { toleratedCount: outcome.toleratedCount } : {}),
        ...(outcome.toleratedPercentage !== undefined
          ? { toleratedPercentage: outcome.toleratedPercentage }
          : {}),
        ...(mapRun ? { mapRun } : {}),
      },
    },
  };
  await saveRun(tx, before, waiting, now);
  step.history.append(execution.id, events.splice(0));
  await deleteDescendants(tx, run.id);
  for (const [index, child] of outcome.children.entries()) {
    const container = containerAt(execution.definition, child.container);
    const started = index < limit;
    const id = await insertRun(
      tx,
      {
        executionId: execution.id,
        parentId: run.id,
        container: child.container,
        itemIndex: index,
        status: started ? "RUNNING" : "PENDING",
        stateName: container.StartAt,
        phase: "enter",
        stateInput: child.input,
        // A distributed iteration's execution has no Map in its context object.
        stateData: mapRun ? { mapRun } : child.mapItem ? { mapItem: child.mapItem } : {},
        variables: child.variables,
      },
      now,
    );
    if (started) await startChild(step, id, 1, state.Type === "Map" && !mapRun, index, run.stateName);
  }
}

async function startChild(
  step: StepContext,
  id: number,
  version: number,
  iterationEvents: boolean,
  index: number,
  name: string,
) {
  if (iterationEvents) {
    step.history.append(step.execution.id, [{ type: "MapIterationStarted", details: { name, index } }]);
  }
  await wakeRun(step, id, version);
}

type Ending =
  | { status: "SUCCEEDED"; output: unknown }
  | { status: "FAILED"; error: string | undefined; cause: string | undefined };

/** Ends a run: the execution's own ends the execution; a child reports to its Map or Parallel. */
async function finishRun(
  step: StepContext,
  before: Run,
  run: Run,
  ending: Ending,
  events: NewEvent[],
): Promise<void> {
  const { tx, now, execution } = step;
  const finished: Run = {
    ...run,
    status: ending.status,
    output: ending.status === "SUCCEEDED" ? ending.output : undefined,
    error: ending.status === "FAILED" ? (ending.error ?? null) : null,
    cause: ending.status === "FAILED" ? (ending.cause ?? null) : null,
  };
  await saveRun(tx, before, finished, now);
  if (run.parentId === null) {
    events.push(
      ending.status === "SUCCEEDED"
        ? {
            type: "ExecutionSucceeded",
            details: { output: JSON.stringify(ending.output), outputDetails: UNTRUNCATED },
          }
        : {
            type: "ExecutionFailed",
            details: {
              ...(ending.error !== undefined ? { error: ending.error } : {}),
              ...(ending.cause !== undefined ? { cause: ending.cause } : {}),
            },
          },
    );
    step.history.append(execution.id, events.splice(0));
    await closeExecution(tx, step.queues, execution, now, ending);
    await reportToParentExecution(step, execution, ending);
    return;
  }
  step.history.append(execution.id, events.splice(0));
  await childEnded(step, finished);
}

export async function closeExecution(
  tx: Queryable,
  queues: TransactionalQueues,
  execution: ExecutionInfo,
  now: number,
  ending: Ending | { status: "TIMED_OUT" | "ABORTED"; error?: string; cause?: string },
): Promise<void> {
  checkExecutionTransition(execution.status, ending.status);
  await tx.run(
    `UPDATE executions SET status = $1, output = $2, error = $3, cause = $4, stopped_at = $5
     WHERE id = $6 AND status = 'RUNNING'`,
    [
      ending.status,
      ending.status === "SUCCEEDED" ? JSON.stringify(ending.output) : null,
      ending.status === "SUCCEEDED" ? null : (ending.error ?? null),
      ending.status === "SUCCEEDED" ? null : (ending.cause ?? null),
      now,
      execution.id,
    ],
  );
  await tx.run(
    "UPDATE runs SET status = 'ABORTED', version = version + 1, updated_at = $1 WHERE execution_id = $2 AND status IN ('PENDING', 'RUNNING', 'WAITING')",
    [now, execution.id],
  );
  await abortIterations(tx, queues, execution.id, now, "execution");
  await sendStatusEvent(queues, execution, { ...ending, at: now });
}

/** A child execution started by `states:startExecution.sync` ended: its parent's task answers. */
export async function reportToParentExecution(
  step: StepContext,
  child: ExecutionInfo,
  ending: { status: ExecutionStatus; output?: unknown; error?: string; cause?: string },
): Promise<void> {
  if (child.parentRunId === null || child.parentRunVersion === null) return;
  if (child.mapRunId !== null) {
    await endIteration(step, child, ending);
    return;
  }
  const [parentRow] = await step.tx.query<{ execution_id: number }>(
    "SELECT execution_id FROM runs WHERE id = $1",
    [child.parentRunId],
  );
  if (!parentRow) return;
  // The parent execution isn't locked by this step: its run goes on in a step of its own.
  const parentStep: StepContext = {
    ...step,
    execution: { ...step.execution, id: parentRow.execution_id },
    ready: undefined,
  };
  const resource = { resourceType: "states", resource: "startExecution.sync" };
  if (ending.status === "SUCCEEDED") {
    const result = {
      ExecutionArn: child.arn,
      Input: JSON.stringify(child.input),
      Name: child.name,
      Output: JSON.stringify(ending.output),
      StartDate: child.startedAt,
      StateMachineArn: child.stateMachineArn,
      Status: ending.status,
      StopDate: step.now,
    };
    await answerTask(
      parentStep,
      child.parentRunId,
      child.parentRunVersion,
      { result },
      {
        type: "TaskSucceeded",
        details: { ...resource, output: JSON.stringify(result) },
      },
    );
    return;
  }
  const error = {
    error: "States.TaskFailed",
    cause: JSON.stringify({
      ExecutionArn: child.arn,
      Status: ending.status,
      Error: ending.error,
      Cause: ending.cause,
    }),
  };
  await answerTask(
    parentStep,
    child.parentRunId,
    child.parentRunVersion,
    { error },
    {
      type: "TaskFailed",
      details: { ...resource, ...error },
    },
  );
}

/**
 * An iteration's execution of a distributed Map ended: its stand-in run in the parent ends the
 * same way, and the Map goes on as after any child. The parent's lock is taken after the
 * child's, as every child-to-parent report does.
 */
async function endIteration(
  step: StepContext,
  child: ExecutionInfo,
  ending: { status: ExecutionStatus; output?: unknown; error?: string; cause?: string },
): Promise<void> {
  const { tx, now } = step;
  const [owner] = await tx.query<{ execution_id: number }>("SELECT execution_id FROM runs WHERE id = $1", [
    child.parentRunId,
  ]);
  const parentRow = owner && (await lockExecution(tx, owner.execution_id));
  if (parentRow?.status !== "RUNNING") return;
  const standIn = await loadRun(tx, child.parentRunId!);
  if (standIn?.status !== "WAITING" || standIn.version !== child.parentRunVersion) return;
  const succeeded = ending.status === "SUCCEEDED";
  const finished: Run = {
    ...standIn,
    status: succeeded ? "SUCCEEDED" : "FAILED",
    output: succeeded ? ending.output : undefined,
    error: succeeded
      ? null
      : (ending.error ?? (ending.status === "TIMED_OUT" ? STATES_ERRORS.Timeout : null)),
    cause: succeeded ? null : (ending.cause ?? null),
  };
  // Woken to end, as any waiting run is running again before it ends.
  await saveRun(tx, { ...standIn, status: "RUNNING" }, finished, now);
  // The parent's runs go on in steps of the parent's own.
  await childEnded({ ...step, execution: infoOf(parentRow), ready: undefined }, finished);
}

/**
 * A child ended: start the next pending sibling, or, when the failures pass what the state
 * tolerates or every child has ended, wake the parent to finish the Map or Parallel.
 */
async function childEnded(step: StepContext, child: Run): Promise<void> {
  const { tx, now, execution } = step;
  const parent = await loadRun(tx, child.parentId!);
  if (parent?.status !== "WAITING" || !parent.stateData.children) return;
  const container = containerAt(execution.definition, parent.container);
  const state = container.States[parent.stateName]!;
  const settings = parent.stateData.children;
  const iterationEvents = state.Type === "Map" && !settings.mapRun;
  if (iterationEvents) {
    step.history.append(execution.id, [
      {
        type: child.status === "SUCCEEDED" ? "MapIterationSucceeded" : "MapIterationFailed",
        details: { name: parent.stateName, index: child.itemIndex },
      },
    ]);
  }
  const counts = await tx.query<{ status: string; n: number }>(
    "SELECT status, COUNT(*) AS n FROM runs WHERE parent_id = $1 GROUP BY status",
    [parent.id],
  );
  const count = (status: string) => Number(counts.find((row) => row.status === status)?.n ?? 0);
  const failed = count("FAILED");
  const unfinished = count("PENDING") + count("RUNNING") + count("WAITING");
  const tolerated =
    failed === 0 ||
    (state.Type === "Map" &&
      (settings.toleratedCount !== undefined || settings.toleratedPercentage !== undefined) &&
      failed <= (settings.toleratedCount ?? Number.POSITIVE_INFINITY) &&
      (failed / settings.total) * 100 <= (settings.toleratedPercentage ?? 100));

  if (!tolerated) {
    // A distributed Map run always has a threshold (0 by default), so it always fails by it.
    const toleranceSet =
      settings.toleratedCount !== undefined ||
      settings.toleratedPercentage !== undefined ||
      settings.mapRun !== undefined;
    const error = toleranceSet
      ? {
          error: STATES_ERRORS.ExceedToleratedFailureThreshold,
          cause: "The specified tolerated failure threshold was exceeded",
        }
      : { error: child.error ?? "", cause: child.cause ?? "" };
    await abortChildren(step, parent.id);
    await wakeParent(step, parent, { error });
    return;
  }
  if (count("PENDING") > 0 && count("RUNNING") + count("WAITING") < settings.maxConcurrency) {
    const [next] = await tx.query<{ id: number; version: number; item_index: number }>(
      "SELECT id, version, item_index FROM runs WHERE parent_id = $1 AND status = 'PENDING' ORDER BY item_index LIMIT 1",
      [parent.id],
    );
    await tx.run("UPDATE runs SET status = 'RUNNING', version = version + 1, updated_at = $1 WHERE id = $2", [
      now,
      next!.id,
    ]);
    await startChild(step, next!.id, next!.version + 1, iterationEvents, next!.item_index, parent.stateName);
    return;
  }
  if (unfinished === 0) await wakeParent(step, parent, {});
}

async function wakeParent(step: StepContext, parent: Run, resume: NonNullable<Run["stateData"]["resume"]>) {
  const container = containerAt(step.execution.definition, parent.container);
  const type = container.States[parent.stateName]!.Type;
  const mapRun = parent.stateData.children?.mapRun;
  if (mapRun) {
    await endMapRun(step.tx, mapRun.id, resume.error ? "FAILED" : "SUCCEEDED", step.now);
    step.history.append(step.execution.id, [
      resume.error
        ? { type: "MapRunFailed", details: { error: resume.error.error, cause: resume.error.cause } }
        : { type: "MapRunSucceeded" },
    ]);
  } else {
    step.history.append(step.execution.id, [
      { type: resume.error ? `${type}StateFailed` : `${type}StateSucceeded` },
    ]);
  }
  const woken: Run = { ...parent, status: "RUNNING", stateData: { ...parent.stateData, resume } };
  const version = await saveRun(step.tx, parent, woken, step.now);
  await wakeRun(step, parent.id, version);
}

/** Aborts the unfinished runs under a parent, and theirs, all the way down. */
async function abortChildren(step: StepContext, parentId: number): Promise<void> {
  const { tx, now } = step;
  let parents = [parentId];
  while (parents.length > 0) {
    const next: number[] = [];
    for (const id of parents) {
      const rows = await tx.query<{ id: number }>(
        "UPDATE runs SET status = 'ABORTED', version = version + 1, updated_at = $1 WHERE parent_id = $2 AND status IN ('PENDING', 'RUNNING', 'WAITING') RETURNING id",
        [now, id],
      );
      next.push(...rows.map((row) => row.id));
    }
    parents = next;
  }
  await abortIterations(tx, step.queues, step.execution.id, now, "runs");
}
