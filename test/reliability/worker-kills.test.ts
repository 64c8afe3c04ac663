import { randomInt } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../support/backends.js";
import type { Spawned } from "../support/processes.js";
import {
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
} from "./harness.js";

/**
 * Files the worker digitizes while it is SIGKILLed again and again: the 2,000 (about 90 s
 * here); INFLOW_RELIABILITY_FILES sets fewer for a quicker look.
 */
const FILES = Number(process.env.INFLOW_RELIABILITY_FILES ?? 2000);
const KILLS = Number(process.env.INFLOW_RELIABILITY_KILLS ?? 12);

describe("inflow worker SIGKILLed at random moments (serve --no-workers + worker, PostgreSQL)", () => {
  const tracker = processes();
  const database = createTestDatabase("postgres");
  afterAll(async () => {
    await tracker.killAll();
    await database.drop();
  });

  it(`digitizes ${FILES} files exactly once through ${KILLS} SIGKILLs of the worker`, async () => {
    const config = fixture("crashes.yaml");
    const serve = await startServe(tracker, {
      databaseArgs: database.args,
      port: await freePort(),
      config,
      workers: false,
    });
    const api = v1(() => serve.url);
    const files = invoiceFiles(FILES, { prefix: "k", firstSeed: 1000, invoices: (i) => 1 + (i % 3) });
    const work = () =>
      startWorker(tracker, { databaseArgs: database.args, api: serve.url, config, concurrency: 8 });

    let worker: Spawned = await work();
    // Files keep arriving while the worker dies and comes back.
    const uploading = api.uploadAll(files, 4);
    const kills: { afterMillis: number; done: number; total: number }[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const afterMillis = randomInt(500, 2_000);
      await sleep(afterMillis);
      const states = tally(await api.containers());
      worker.child.kill("SIGKILL");
      const ended = await worker.exited;
      expect(ended.signal, worker.stderr()).toBe("SIGKILL");
      kills.push({
        afterMillis,
        done: states.Done ?? 0,
        total: Object.values(states).reduce((a, b) => a + b, 0),
      });
      worker = await work();
    }
    const ids = await uploading;
    // Killed while there was work: at every kill some container was still on its way.
    expect(
      kills.filter((k) => k.done < k.total || k.total < FILES),
      JSON.stringify(kills),
    ).toHaveLength(KILLS);

    const containers = await settled(api, ids, 150_000);
    expect(tally(containers), `kills: ${JSON.stringify(kills)}`).toEqual({ Done: FILES });
    const checked = await exactlyOnce(api, files, ids);
    expect(checked.problems).toEqual([]);
    expect(checked.created).toBe(checked.expected);
    expect(checked.listed).toBe(checked.expected);
    expect(await deadLetters(serve.url)).toEqual({
      "process-file-dlq": 0,
      "create-invoice-dlq": 0,
      "post-invoice-creation-dlq": 0,
      "verify-dlq": 0,
    });

    expect(loggedErrors(serve)).toEqual([]);
    await stop(worker, "SIGTERM");
    expect(await stop(serve, "SIGTERM"), serve.stderr()).toEqual({ code: 0, signal: null });
  }, 300_000);
});
