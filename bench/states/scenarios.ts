/**
 * The workflow benchmark's three scenarios: one ASL definition each, the same text for every
 * system, with the input each execution gets and the state transitions it makes.
 *
 * Transitions are counted as AWS bills them: one per state entered, the states inside a Map's
 * iterations included. Each system's count is checked against these numbers (Inflow from its
 * history, the peer from its event log) before anything is measured.
 */

export type ScenarioName = "chain" | "map" | "token";

export const SCENARIO_NAMES: readonly ScenarioName[] = Object.freeze(["chain", "map", "token"] as const);

/** The Inflow queue the token scenario's task sends to; a consumer answers each message. */
export const APPROVALS_QUEUE = "bench-approvals";

/** The task state that hands out its token (the peer overrides it with a local handler). */
export const TOKEN_TASK = "Approve";

export interface Scenario {
  name: ScenarioName;
  label: string;
  definition: Record<string, unknown>;
  /** States entered by one execution. */
  transitions: number;
  /** Task-token round trips made by one execution. */
  roundTrips: number;
  /** Executions started at once in one measured run, by default. */
  executions: number;
  /** The input of execution `index`. */
  input(index: number): Record<string, unknown>;
  /** The output of a succeeded execution is checked with this. */
  check(output: unknown, index: number): boolean;
}

const CHAIN_LENGTH = 10;
const MAP_ITEMS = 100;
const MAP_CONCURRENCY = 10;

/** Choice, Pass, Choice, Pass ... ending on a Pass: 5 of each. */
function chainDefinition(): Record<string, unknown> {
  const states: Record<string, unknown> = {};
  const name = (index: number) => `${index % 2 === 0 ? "Check" : "Stamp"}${Math.floor(index / 2) + 1}`;
  for (let index = 0; index < CHAIN_LENGTH; index++) {
    const next = index + 1 < CHAIN_LENGTH ? name(index + 1) : undefined;
    const step = Math.floor(index / 2) + 1;
    states[name(index)] =
      index % 2 === 0
        ? {
            Type: "Choice",
            Choices: [{ Variable: "$.amount", NumericGreaterThan: 1000, Next: next }],
            Default: next,
          }
        : {
            Type: "Pass",
            Result: step,
            ResultPath: `$.step${step}`,
            ...(next ? { Next: next } : { End: true }),
          };
  }
  return { Comment: "10-state Pass/Choice chain", StartAt: name(0), States: states };
}

function mapDefinition(): Record<string, unknown> {
  return {
    Comment: `Map over ${MAP_ITEMS} items at MaxConcurrency ${MAP_CONCURRENCY}`,
    StartAt: "Lines",
    States: {
      Lines: {
        Type: "Map",
        ItemsPath: "$.lines",
        MaxConcurrency: MAP_CONCURRENCY,
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "Price",
          States: {
            Price: {
              Type: "Pass",
              Parameters: { "sku.$": "$.sku", "qty.$": "$.qty", priced: true },
              Next: "Route",
            },
            Route: {
              Type: "Choice",
              Choices: [{ Variable: "$.qty", NumericGreaterThan: 5, Next: "Done" }],
              Default: "Done",
            },
            Done: { Type: "Succeed" },
          },
        },
        End: true,
      },
    },
  };
}

function tokenDefinition(): Record<string, unknown> {
  return {
    Comment: "waitForTaskToken round trip through a queue",
    StartAt: "Prepare",
    States: {
      Prepare: {
        Type: "Pass",
        Parameters: { "invoice.$": "$.invoice", "amount.$": "$.amount" },
        Next: TOKEN_TASK,
      },
      [TOKEN_TASK]: {
        Type: "Task",
        Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters: {
          QueueUrl: `https://sqs.us-east-1.amazonaws.com/000000000000/${APPROVALS_QUEUE}`,
          MessageBody: { "token.$": "$$.Task.Token", "invoice.$": "$.invoice" },
        },
        ResultPath: "$.approval",
        Next: "Record",
      },
      Record: {
        Type: "Pass",
        Parameters: { "invoice.$": "$.invoice", "approved.$": "$.approval.approved" },
        End: true,
      },
    },
  };
}

const invoice = (index: number) => `INV-${String(index).padStart(8, "0")}`;

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  chain: {
    name: "chain",
    label: "(a) 10-state Pass/Choice chain",
    definition: chainDefinition(),
    transitions: CHAIN_LENGTH,
    roundTrips: 0,
    executions: 200,
    input: (index) => ({ invoice: invoice(index), amount: (index * 37) % 2000 }),
    check: (output) => (output as { step5?: unknown } | null)?.step5 === 5,
  },
  map: {
    name: "map",
    label: `(b) Map of ${MAP_ITEMS} items, MaxConcurrency ${MAP_CONCURRENCY}`,
    definition: mapDefinition(),
    // The Map state itself, then Price, Route and Done for each item.
    transitions: 1 + MAP_ITEMS * 3,
    roundTrips: 0,
    executions: 10,
    input: (index) => ({
      invoice: invoice(index),
      lines: Array.from({ length: MAP_ITEMS }, (_, line) => ({
        sku: `SKU-${line}`,
        qty: (line + index) % 10,
      })),
    }),
    check: (output) =>
      Array.isArray(output) &&
      output.length === MAP_ITEMS &&
      output.every((line) => (line as { priced?: unknown }).priced === true),
  },
  token: {
    name: "token",
    label: "(c) waitForTaskToken round trip through a queue",
    definition: tokenDefinition(),
    transitions: 3,
    roundTrips: 1,
    executions: 500,
    input: (index) => ({ invoice: invoice(index), amount: (index * 37) % 2000 }),
    check: (output, index) => {
      const value = output as { invoice?: unknown; approved?: unknown } | null;
      return value?.invoice === invoice(index) && value.approved === true;
    },
  },
};

/** What the consumer answers every token with. */
export function approval(message: { invoice?: unknown }): { approved: true; invoice: unknown } {
  return { approved: true, invoice: message.invoice };
}
