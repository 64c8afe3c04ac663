/**
 * What an expression of a state can see while it is evaluated.
 *
 * - `input`: the state's (effective) input, what `$` means in JSONPath and `$states.input` in JSONata;
 * - `context`: the context object, `$$` in JSONPath and `$states.context` in JSONata;
 * - `variables`: the workflow variables visible to the state (set by `Assign`), `$name` in both languages;
 * - `result` / `errorOutput`: a task's result or a caught error, `$states.result` / `$states.errorOutput`
 *   in JSONata (JSONPath reaches them through ResultSelector and ResultPath instead).
 */
export interface ContextObject {
  Execution: {
    Id: string;
    Input: unknown;
    Name: string;
    RoleArn: string;
    StartTime: string;
    RedriveCount?: number;
    RedriveTime?: string;
  };
  State: { EnteredTime: string; Name: string; RetryCount?: number };
  StateMachine: { Id: string; Name: string };
  Task?: { Token: string };
  Map?: { Item: { Index: number; Value: unknown; Key?: string } };
}

export interface Scope {
  input: unknown;
  context: ContextObject;
  variables: Readonly<Record<string, unknown>>;
  result?: unknown;
  errorOutput?: unknown;
}
