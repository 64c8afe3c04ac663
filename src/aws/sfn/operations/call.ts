import type { States } from "../../../states/engine.js";
import type { WireInput } from "../input.js";

/** One decoded Step Functions call: the engine it acts on and its input. */
export interface SfnCall {
  states: States;
  input: WireInput;
}

/** Answers a call with its output members (absent ones undefined, never null). */
export type SfnOperation = (call: SfnCall) => Promise<object>;
