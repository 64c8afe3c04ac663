import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createQueues } from "../../src/queues/service.js";
import { createStates } from "../../src/states/engine.js";
import { createTestDatabase, type TestDatabase } from "../support/backends.js";
import { clientDefaults } from "../support/listen.js";
import type { Spawned } from "../support/processes.js";
import {
  type Container,
  deadLetters,
  exactlyOnce,
  fixture,
  freePort,
  invoiceFiles,
  loggedErrors,
  processes,
  settled,
  sleep,
  startServe,
  startWorker,
  stop,
  tally,
  v1,
  waitFor,
} from "./harness.js";

/**
 * The containers and invoices services (`inflow serve --no-workers`) go away under a running
 * pipeline (`inflow worker --api URL`), both on one PostgreSQL database: for less than the
 * queues' retry budget nothing may show, for longer the containers end in Error and come back
 * with redrive or reprocess.
 */
describe("the services down under a running pipeline (serve --no-workers + worker, PostgreSQL)", () => {
  const tracker = processes();
  const databases: TestDatabase[] = [];
  afterEach(() => tracker.killAll());
  afterAll(async () => {
    await tracker.killAll();
    for (const database of databases) await database.drop();
  });

  /** A database of its own, a free port, the services on it and a worker calling them. */
  async function deployment(config: string) {
    const database = createTestDatabase("postgres");
    databases.push(database);
    const port = await freePort();
    const serves: Spawned[] = [];
    const start = async () => {
      const started = await startServe(tracker, {
        databaseArgs: database.args,
        port,
        config: fixture(config),
        workers: false,
      });
      serves.push(started);
      return started;
    };
    let serve = await start();
    const work = () =>
      startWorker(tracker, {
        databaseArgs: database.args,
        api: serve.url,
        config: fixture(config),
        concurrency: 4,
      });
    const worker = await work();
    return {
      database,
      worker,
      /** Another worker process. */
      work,
      api: v1(() => serve.url),
      serve: () => serve,
      /** What every services process so far logged at level error. */
      serviceErrors: () => serves.flatMap(loggedErrors),
      /** Stops the services with `signal`, waits `downMillis`, starts them again on the same port; the time they were away. */
      async outage(signal: NodeJS.Signals, downMillis: number, during?: () => Promise<void>) {
        const stoppedAt = Date.now();
        const ended = await stop(serve, signal);
        await Promise.all([sleep(downMillis), during?.()]);
        serve = await start();
        return { ended, downMillis: Date.now() - stoppedAt };
      },
    };
  }

  it("loses and doubles nothing when the services are away for less than the retry budget (SIGKILL, then SIGTERM)", async () => {
    const { api, outage, worker, serve, serviceErrors } = await deployment("patient.yaml");
    // patient.yaml: 30 receives 1 s apart before a message is dead-lettered.
    const BUDGET_MILLIS = 10_000;
    const files = invoiceFiles(30, { prefix: "a", firstSeed: 100, invoices: (i) => 2 + (i % 4) });

    const firstIds = await api.uploadAll(files.slice(0, 15));
    // Killed while these are being digitized: some must still be on their way.
    const before = tally(await api.containers());
    expect(before.Done ?? 0, JSON.stringify(before)).toBeLessThan(15);
    const killed = await outage("SIGKILL", 2_500);
    expect(killed.ended.signal).toBe("SIGKILL");
    expect(killed.downMillis).toBeLessThan(BUDGET_MILLIS - 2_000);

    const secondIds = await api.uploadAll(files.slice(15));
    const stopped = await outage("SIGTERM", 2_500);
    // A SIGTERM ends the services cleanly, requests of the worker in flight or not.
    expect(stopped.ended, serve().stderr()).toEqual({ code: 0, signal: null });
    expect(stopped.downMillis).toBeLessThan(BUDGET_MILLIS - 2_000);

    const ids = [...firstIds, ...secondIds];
    const containers = await settled(api, ids, 90_000);
    expect(tally(containers)).toEqual({ Done: 30 });
    const checked = await exactlyOnce(api, files, ids);
    expect(checked.problems).toEqual([]);
    expect(checked.created).toBe(checked.expected);
    expect(checked.listed).toBe(checked.expected);
    // Nothing went as far as a dead-letter queue, not even a status event.
    expect(Object.values(await deadLetters(serve().url)).every((n) => n === 0)).toBe(true);
    expect(worker.child.exitCode, worker.stderr()).toBeNull();
    expect(serviceErrors()).toEqual([]);
  }, 150_000);

  it("leaves the containers in Error as dead-lettered when the services are away for longer, and redrive or reprocess brings them to Done", async () => {
    const { api, outage, serve, serviceErrors } = await deployment("short-budget.yaml");
    // Two files large enough to be caught while their invoices are being created, six small ones
    // caught while being set Processing or parsed.
    const files = [
      ...invoiceFiles(2, { prefix: "big", firstSeed: 200, invoices: () => 120 }),
      ...invoiceFiles(6, { prefix: "b", firstSeed: 210, invoices: (i) => 1 + (i % 3) }),
    ];
    const bigIds = await api.uploadAll(files.slice(0, 2), 2);
    await waitFor(
      "a large file's invoices to be under way",
      async () => {
        const big = await api.container(bigIds[0]!);
        return big.invoiceCount > 0 && big.invoiceCount < 120 ? big : undefined;
      },
      { timeoutMillis: 30_000, intervalMillis: 50 },
    );
    const smallIds = await api.uploadAll(files.slice(2), 6);
    const ids = [...bigIds, ...smallIds];

    // short-budget.yaml: 3 receives 1 s apart; away three times as long as that. Status events are
    // never dead-lettered: they wait for the services, and tell them once they are back.
    await outage("SIGKILL", 9_000);
    await waitFor(
      "every execution to have ended",
      async () => ((await runningExecutions(serve().url, ids)).length === 0 ? true : undefined),
      { timeoutMillis: 60_000, intervalMillis: 500 },
    );
    const failed = await settled(api, ids, 30_000);
    const errors = failed.filter((container) => container.state === "Error");
    // Not one dead-lettered: the outage did not outlast the budget, and this test tested nothing.
    expect(errors.length, JSON.stringify(tally(failed))).toBeGreaterThan(0);
    // Where each failed: the reason says a message was dead-lettered, for whichever step.
    expect
      .soft(
        errors.filter((container) => !container.error?.includes("dead-lettered")).map(describeError),
        "containers in Error whose reason does not say dead-lettered",
      )
      .toEqual([]);

    // The first in Error starts over (reprocess); the others go on from where they failed (redrive).
    const [first, ...rest] = errors;
    expect((await api.reprocess(first!.id)).status).toBe(202);
    for (const container of rest) {
      const answer = await api.redrive(container.id);
      expect(answer.status, await answer.clone().text()).toBe(202);
    }
    const done = await settled(api, ids, 60_000);
    expect(tally(done)).toEqual({ Done: ids.length });
    const checked = await exactlyOnce(api, files, ids);
    expect(checked.problems).toEqual([]);
    expect(checked.created).toBe(checked.expected);
    expect(checked.listed).toBe(checked.expected);
    expect(serviceErrors()).toEqual([]);
  }, 180_000);

  it("does not leave a container New or Processing for good when its execution failed while the services were away", async () => {
    const { api, outage, serve, database, worker, work } = await deployment("short-budget.yaml");
    const files = invoiceFiles(2, { prefix: "stuck", firstSeed: 300, invoices: () => 2 });
    // Uploaded while no worker runs, and the services gone before a worker sees them.
    await stop(worker, "SIGKILL");
    const ids = await api.uploadAll(files, 2);
    const store = await database.open();
    const queues = createQueues(store);
    const states = createStates(store, queues);
    let seen = "";
    try {
      await outage("SIGKILL", 0, async () => {
        await work();
        // Away until the executions have failed (their process-file messages dead-lettered) and
        // their status events have been tried more often than any task message is.
        await waitFor(
          "the executions to fail while their status events wait for the services",
          async () => {
            const statuses = [];
            for (const id of ids)
              statuses.push((await states.executions.describe(executionArnOf(id))).status);
            const attributes = await queues.getQueueAttributes("execution-status", [
              "ApproximateNumberOfMessages",
              "ApproximateNumberOfMessagesNotVisible",
            ]);
            const events =
              Number(attributes.ApproximateNumberOfMessages) +
              Number(attributes.ApproximateNumberOfMessagesNotVisible);
            seen = JSON.stringify({ statuses, events });
            return !statuses.includes("RUNNING") && events > 0 ? true : undefined;
          },
          { timeoutMillis: 45_000, intervalMillis: 250, last: () => seen },
        );
        // Longer than the 3 receives a task message gets (1 s apart): the events are not given up.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      });
    } finally {
      await queues.close();
      await store.close();
    }
    expect(await runningExecutions(serve().url, ids)).toEqual([]);
    // With the services back, the waiting status events bring each container to Error with the reason.
    let last: Container[] = [];
    await waitFor(
      "the containers of failed executions to leave New/Processing",
      async () => {
        last = await Promise.all(ids.map((id) => api.container(id)));
        return last.every((c) => c.state === "Error") ? last : undefined;
      },
      { timeoutMillis: 15_000, intervalMillis: 500, last: () => JSON.stringify(last.map(describeError)) },
    );
    expect(last.map(describeError)).toEqual(
      ids.map((id) => expect.stringMatching(`^${id}: Error .*dead-lettered`)),
    );
  }, 120_000);
});

const describeError = (container: Container) =>
  `${container.id}: ${container.state} ${container.error ?? ""}`.trim();

/** The digitize execution a container starts with is named after it. */
const executionArnOf = (containerId: string) =>
  `arn:aws:states:us-east-1:000000000000:execution:digitize:${containerId}`;

/** The executions of `ids` still RUNNING, through the Step Functions API of `url`. */
async function runningExecutions(url: string, ids: readonly string[]): Promise<string[]> {
  const sfn = new SFNClient(clientDefaults(url));
  const api = v1(() => url);
  try {
    const running: string[] = [];
    for (const id of ids) {
      const { executionArn } = await api.container(id);
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (status === "RUNNING") running.push(executionArn!);
    }
    return running;
  } finally {
    sfn.destroy();
  }
}
