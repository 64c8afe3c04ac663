/**
 * Inflow's durable engine in this process: `createStates(store, queues)` with its own step
 * workers (`startWorkers`, `concurrency` step loops), on SQLite or PostgreSQL.
 *
 * A run starts every execution at once, then waits (polling one count every few milliseconds)
 * until none is RUNNING; the clock runs from the first start to the last end. In the token
 * scenario, consumer loops in this process take the task messages off the approvals queue in
 * batches of 10, answer each with `tasks.sendSuccess(token, output)` and delete the batch.
 *
 * After each run the outcome is checked: every execution SUCCEEDED with the expected output, the
 * history holds exactly the expected StateEntered events, and no message is left in any queue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/types.js";
import { checkIdentifier, dropSchema, systemDatabaseUrl, vacuumSchema } from "../queues/common.js";
import { APPROVALS_QUEUE, approval, SCENARIOS, type Scenario, type ScenarioName } from "./scenarios.js";
import { BENCH_SQL, type ScenarioRun, type WorkflowDriver } from "./system.js";

const POLL_MILLIS = 5;

export interface InflowSettings {
  /** The engine's step loops (`createStates(..., { concurrency })`). */
  concurrency: number;
  /** Consumer loops answering task tokens. */
  consumers: number;
}

export async function openInflow(
  backend: "sqlite" | "postgres",
  schema: string,
  settings: InflowSettings,
): Promise<WorkflowDriver> {
  let dataDir: string | undefined;
  if (backend === "postgres") await dropSchema(checkIdentifier(schema));
  else dataDir = mkdtempSync(join(tmpdir(), "inflow-bench-states-"));
  const store: Store = await openStore(
    backend === "postgres" ? { databaseUrl: systemDatabaseUrl(), schema } : { dataDir: dataDir! },
  );
  const queues: Queues = createQueues(store);
  const errors: unknown[] = [];
  const states: States = createStates(store, queues, {
    concurrency: settings.concurrency,
    onError: (error) => errors.push(error),
  });
  await queues.createQueue(APPROVALS_QUEUE);
  await states.startWorkers();

  const machines = new Map<ScenarioName, string>();
  for (const scenario of Object.values(SCENARIOS)) {
    const machine = await states.machines.create({
      name: `bench-${scenario.name}`,
      definition: JSON.stringify(scenario.definition),
    });
    machines.set(scenario.name, machine.arn);
  }
  let sequence = 0;

  const lastExecutionId = async () => {
    const [row] = await store.query<{ id: number | null }>(
      `${BENCH_SQL} SELECT MAX(id) AS id FROM executions`,
    );
    return Number(row?.id ?? 0);
  };
  const running = async (after: number) => {
    const [row] = await store.query<{ n: number }>(
      `${BENCH_SQL} SELECT COUNT(*) AS n FROM executions WHERE id > $1 AND status = 'RUNNING'`,
      [after],
    );
    return Number(row?.n ?? 0);
  };

  /** Answers task tokens until `done()`: receive up to 10, answer each, delete the batch. */
  const consume = async (done: () => boolean, signal: AbortSignal, answered: { count: number }) => {
    try {
      while (!done()) {
        const messages = await queues.receiveMessage(APPROVALS_QUEUE, {
          maxNumberOfMessages: 10,
          waitTimeSeconds: 1,
          signal,
        });
        if (messages.length === 0) continue;
        for (const message of messages) {
          const body = JSON.parse(message.body) as { token: string; invoice?: unknown };
          await states.tasks.sendSuccess(body.token, JSON.stringify(approval(body)));
          answered.count += 1;
        }
        const result = await queues.deleteMessageBatch(
          APPROVALS_QUEUE,
          messages.map((message, index) => ({ id: String(index), receiptHandle: message.receiptHandle })),
        );
        if (result.failed.length > 0)
          throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(result.failed)}`);
      }
    } catch (error) {
      if (!signal.aborted) errors.push(error);
    }
  };

  const verify = async (scenario: Scenario, after: number, count: number, base: number) => {
    const rows = await store.query<{ id: number; name: string; status: string; output: string | null }>(
      `${BENCH_SQL} SELECT id, name, status, output FROM executions WHERE id > $1 ORDER BY id`,
      [after],
    );
    if (rows.length !== count) throw new Error(`${rows.length} executions found, ${count} started`);
    for (const row of rows) {
      const index = Number(row.name.split("-").pop()) - base;
      if (row.status !== "SUCCEEDED") throw new Error(`Execution ${row.name} ended ${row.status}`);
      if (!scenario.check(JSON.parse(row.output ?? "null"), index))
        throw new Error(`Execution ${row.name} has an unexpected output: ${row.output}`);
    }
    const [entered] = await store.query<{ n: number }>(
      `${BENCH_SQL} SELECT COUNT(*) AS n FROM history_events WHERE execution_id > $1 AND type LIKE '%StateEntered'`,
      [after],
    );
    const transitions = Number(entered?.n ?? 0);
    if (transitions !== count * scenario.transitions)
      throw new Error(`${transitions} states entered, ${count * scenario.transitions} expected`);
    const [left] = await store.query<{ n: number }>(`${BENCH_SQL} SELECT COUNT(*) AS n FROM messages`);
    if (Number(left?.n ?? 0) !== 0) throw new Error(`${left?.n} messages left in the queues after a run`);
    if (errors.length > 0) throw errors[0];
    return transitions;
  };

  return {
    async run(name, executions): Promise<ScenarioRun> {
      const scenario = SCENARIOS[name];
      const arn = machines.get(name)!;
      const after = await lastExecutionId();
      const base = sequence;
      sequence += executions;
      const stopConsumers = new AbortController();
      let finished = false;
      const answered = { count: 0 };

      const inputs = Array.from({ length: executions }, (_, index) => JSON.stringify(scenario.input(index)));

      const start = performance.now();
      const consumers =
        scenario.roundTrips > 0
          ? Array.from({ length: settings.consumers }, () =>
              consume(() => finished, stopConsumers.signal, answered),
            )
          : [];
      await Promise.all(
        inputs.map((input, index) =>
          states.executions.start({ stateMachineArn: arn, name: `${name}-${base + index}`, input }),
        ),
      );
      while ((await running(after)) > 0) {
        if (errors.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MILLIS));
      }
      const millis = performance.now() - start;
      finished = true;
      stopConsumers.abort();
      await Promise.allSettled(consumers);

      const transitions = await verify(scenario, after, executions, base);
      const roundTrips = executions * scenario.roundTrips;
      if (answered.count !== roundTrips)
        throw new Error(`${answered.count} tokens answered, ${roundTrips} expected`);
      return {
        executions,
        transitions,
        roundTrips,
        millis,
        transitionsPerSecond: (transitions * 1000) / millis,
        roundTripsPerSecond: (roundTrips * 1000) / millis,
      };
    },
    async housekeeping() {
      if (backend === "postgres") await vacuumSchema(schema);
    },
    async close() {
      await states.close();
      await queues.close();
      await store.close();
      if (backend === "postgres") await dropSchema(schema);
      else rmSync(dataDir!, { recursive: true, force: true });
    },
  };
}
