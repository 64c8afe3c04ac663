import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { type Actual, type AslCase, differences, loadCases } from "../support/asl-cases.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const cases = loadCases();
/** Executions in flight at once: enough to overlap the Waits, few enough for 2 cores. */
const PARALLEL = 40;

async function runCase(states: States, testCase: AslCase, index: number): Promise<Actual> {
  let machineArn: string;
  try {
    const machine = await states.machines.create({
      name: `case-${index}`,
      definition: JSON.stringify(testCase.definition),
      type: testCase.stateMachineType,
    });
    machineArn = machine.arn;
  } catch (error) {
    if ((error as Error).name === "InvalidDefinition") return { status: "INVALID_DEFINITION" };
    throw error;
  }
  const started = await states.executions.start({
    stateMachineArn: machineArn,
    input: JSON.stringify(testCase.input),
  });
  for (;;) {
    const execution = await states.executions.describe(started.executionArn);
    if (execution.status !== "RUNNING") {
      return {
        status: execution.status,
        ...(execution.output !== undefined ? { output: JSON.parse(execution.output) } : {}),
        ...(execution.error !== undefined ? { error: execution.error } : {}),
        ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(BACKENDS)("ASL conformance on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  const results = new Map<string, Actual | Error>();

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, { concurrency: 4 });
    await states.startWorkers();
    let next = 0;
    const lane = async () => {
      while (next < cases.length) {
        const index = next++;
        const testCase = cases[index]!;
        results.set(testCase.name, await runCase(states, testCase, index).catch((error: Error) => error));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
  }, 300_000);

  afterAll(async () => {
    await states?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))("%s", (_name, testCase) => {
    const actual = results.get(testCase.name);
    if (actual instanceof Error) throw actual;
    expect(differences(testCase, actual!)).toEqual([]);
  });
});
