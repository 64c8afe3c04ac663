/**
 * The peer: aws-local-stepfunctions (npm), which runs ASL definitions in memory. Nothing it does
 * is durable: no history is written, a crash loses every execution in flight.
 *
 * It declares Node >= 22. On Node 20 everything but Task states runs as published; its Task
 * state calls `Promise.withResolvers` (ES2024, Node 22), so on an older Node this module installs
 * the standard few-line polyfill of that one function first (`peerPolyfilled` says whether it did).
 *
 * The token scenario's task is overridden with the peer's own `taskResourceLocalHandlers`: the
 * "round trip" is an in-memory call that answers at once with what the Inflow consumer answers;
 * `$$.Task.Token` comes from the run's mocked context object. There is no queue in between.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { approval, SCENARIOS, type ScenarioName, TOKEN_TASK } from "./scenarios.js";
import type { ScenarioRun, WorkflowDriver } from "./system.js";

type Resolvers<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
const promiseStatics = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

/** True when this Node lacked Promise.withResolvers and the polyfill was installed. */
export const peerPolyfilled = typeof promiseStatics.withResolvers !== "function";
if (peerPolyfilled) {
  promiseStatics.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise, resolve, reject };
  };
}

/** The installed version, from its package.json (which its `exports` do not expose). */
export function peerVersion(): string {
  const file = new URL("../../node_modules/aws-local-stepfunctions/package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

interface PeerMachine {
  run(
    input: unknown,
    options?: Record<string, unknown>,
  ): { result: Promise<unknown>; eventLogs: AsyncGenerator<{ type: string }> };
}

export async function openPeer(): Promise<WorkflowDriver & { version: string }> {
  // Imported after the polyfill above is in place.
  const { StateMachine } = await import("aws-local-stepfunctions");
  const version = peerVersion();

  const machines = new Map<ScenarioName, PeerMachine>();
  for (const scenario of Object.values(SCENARIOS)) {
    machines.set(scenario.name, new StateMachine(scenario.definition as never) as unknown as PeerMachine);
  }
  const options = (name: ScenarioName) =>
    name === "token"
      ? {
          context: { Task: { Token: randomUUID() } },
          overrides: {
            taskResourceLocalHandlers: {
              [TOKEN_TASK]: (input: { MessageBody: { invoice?: unknown } }) => approval(input.MessageBody),
            },
          },
        }
      : {};

  // The transition count is the peer's own: its event log's StateEntered events for one execution.
  for (const scenario of Object.values(SCENARIOS)) {
    const execution = machines.get(scenario.name)!.run(scenario.input(0), options(scenario.name));
    let entered = 0;
    for await (const event of execution.eventLogs) if (event.type === "StateEntered") entered += 1;
    const output = await execution.result;
    if (!scenario.check(output, 0))
      throw new Error(`${scenario.name}: unexpected output ${JSON.stringify(output)}`);
    if (entered !== scenario.transitions)
      throw new Error(`${scenario.name}: ${entered} states entered, ${scenario.transitions} expected`);
  }

  return {
    version,
    async run(name, executions): Promise<ScenarioRun> {
      const scenario = SCENARIOS[name];
      const machine = machines.get(name)!;
      const inputs = Array.from({ length: executions }, (_, index) => scenario.input(index));
      const start = performance.now();
      const outputs = await Promise.all(inputs.map((input) => machine.run(input, options(name)).result));
      const millis = performance.now() - start;
      outputs.forEach((output, index) => {
        if (!scenario.check(output, index))
          throw new Error(`${name}: unexpected output ${JSON.stringify(output)}`);
      });
      const transitions = executions * scenario.transitions;
      const roundTrips = executions * scenario.roundTrips;
      return {
        executions,
        transitions,
        roundTrips,
        millis,
        transitionsPerSecond: (transitions * 1000) / millis,
        roundTripsPerSecond: (roundTrips * 1000) / millis,
      };
    },
    async housekeeping() {},
    async close() {},
  };
}
