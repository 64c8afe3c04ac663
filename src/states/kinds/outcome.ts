import type { StatesError } from "../errors.js";
import type { Scope } from "../scope.js";
import type { QueryLanguage, StateDefinition } from "../types.js";
import type { TaskCall } from "./task.js";

/** What a state kind sees when it runs: its definition, name, language and scope (input = the raw state input). */
export interface StateEnv {
  name: string;
  state: StateDefinition;
  language: QueryLanguage;
  scope: Scope;
  now: number;
  /** Where the state's container sits in the definition, for naming child containers. */
  container: string;
}

/** A child run to start: a Map iteration or a Parallel branch. */
export interface ChildSpec {
  container: string;
  input: unknown;
  variables: Record<string, unknown>;
  mapItem?: { index: number; value: unknown };
}

export type { ExitFields } from "../io.js";

import type { ExitFields } from "../io.js";

export type Outcome =
  /** The state's work is done: process `result` into the output and go to `next` (undefined: the end). */
  | { type: "complete"; result: unknown; next: string | undefined; fields?: ExitFields }
  /** A Succeed state: the run ends with this output. */
  | { type: "succeed"; output: unknown }
  /** A Fail state: the run fails; neither Retry nor Catch applies. */
  | { type: "fail"; error: string | undefined; cause: string | undefined }
  /** The state failed: Retry and Catch get their turn. */
  | { type: "error"; error: StatesError }
  /** Resume at `until` with `result` (a Wait). */
  | { type: "wait"; until: number; result: unknown }
  /** Call a task's resource (Task). */
  | { type: "task"; call: TaskCall }
  /** Start children and resume when they end (Map, Parallel). */
  | {
      type: "spawn";
      children: ChildSpec[];
      maxConcurrency: number;
      toleratedCount?: number;
      toleratedPercentage?: number;
      /** A DISTRIBUTED Map: each child runs as an execution of its own, under a map run. */
      distributed?: { label: string | undefined };
    };

/** The state's successor, from Next/End. */
export const nextOf = (state: StateDefinition): string | undefined =>
  state.End === true ? undefined : (state.Next as string | undefined);
