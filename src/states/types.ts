/**
 * States: the Amazon States Language, run durably.
 *
 * Glossary
 * - State machine: a named ASL definition (STANDARD: durable, up to a year; EXPRESS: short, run
 *   to completion by StartSyncExecution).
 * - Execution: one run of a state machine on one input, with its event history.
 * - Run: one thread of control inside an execution: the execution's own, each Map iteration and
 *   each Parallel branch. A run sits on one state at a time; its row is the durable truth of
 *   where it is (`state_name`, `phase`, `state_input`, `variables`).
 * - Container: the states a run walks, named by its path in the definition: "" for the top
 *   level, `/States/MyMap/ItemProcessor`, `/States/MyParallel/Branches/0`.
 * - Phase: `enter` (the state starts: input processing, then its kind's work) or `resume` (its
 *   work finished elsewhere: a timer fired, a task answered, children ended).
 * - Step: the unit of durable progress. A message on the internal steps queue names a run and
 *   its version; the worker that receives it advances the run, writes history, sends the next
 *   messages and deletes the step message, all in one transaction. A step whose version is stale
 *   is dropped, so a redelivered message never applies a state twice.
 * - Task token: the handle a `.waitForTaskToken` task hands out; SendTaskSuccess/Failure with it
 *   resumes the run.
 */

export const EXECUTION_STATUSES = Object.freeze([
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
] as const);
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** RUNNING: a step is on its way. WAITING: for a timer, a task or children. PENDING: a Map iteration not started yet. */
export const RUN_STATUSES = Object.freeze([
  "PENDING",
  "RUNNING",
  "WAITING",
  "SUCCEEDED",
  "FAILED",
  "ABORTED",
] as const);
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STATE_MACHINE_TYPES = Object.freeze(["STANDARD", "EXPRESS"] as const);
export type StateMachineType = (typeof STATE_MACHINE_TYPES)[number];

export type QueryLanguage = "JSONPath" | "JSONata";

/** A state as written in the definition; fields are checked by the definition validator first. */
export type StateDefinition = Record<string, unknown> & { Type: string };

export interface ContainerDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  QueryLanguage?: QueryLanguage;
}

export interface MachineDefinition extends ContainerDefinition {
  Comment?: string;
  TimeoutSeconds?: number;
  Version?: string;
}
