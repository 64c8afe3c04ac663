/**
 * Measures one backend in this process: bench/functions/run.ts starts one per backend and sends
 * it requests, one JSON object per line on stdin, each answered by one JSON line on stdout:
 *
 *   {"op":"open"}                                                   -> {"ok":true}
 *   {"op":"run","messages":N,"batchSize":B,"maximumConcurrency":C}  -> {"ok":true,"run":MappingRun}
 *   {"op":"close"}                                                  -> {"ok":true}, then the process exits
 *
 * A run fills a fresh queue (untimed), then maps it to a no-op function and times from the
 * mapping's start until every message was handled and deleted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createMappingRunner, type MappingRunner } from "../../src/functions/mapping-runner.js";
import { createMappings, type Mappings } from "../../src/functions/mappings.js";
import { createFunctions } from "../../src/functions/registry.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/types.js";
import { databaseUrl, dropSchema } from "../queues/common.js";
import { BACKEND_NAMES, type Backend, type MappingRun, type Request, type Response } from "./protocol.js";

const backend = process.argv[2] as Backend;
if (!BACKEND_NAMES.includes(backend)) throw new Error(`Unknown backend "${process.argv[2]}"`);
const schema = `bench_functions_${process.pid}`;
const dataDir = backend === "sqlite" ? mkdtempSync(join(tmpdir(), "inflow-bench-functions-")) : undefined;

let store: Store;
let queues: Queues;
let mappings: Mappings;
let runner: MappingRunner;
let handled = 0;
let runs = 0;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function open(): Promise<void> {
  store = await openStore(dataDir ? { dataDir } : { databaseUrl: databaseUrl(), schema });
  queues = createQueues(store);
  const functions = createFunctions();
  functions.register("noop", async (event: { Records: unknown[] }) => {
    handled += event.Records.length;
    return null;
  });
  mappings = createMappings(store, queues, functions);
  runner = createMappingRunner(store, queues, functions, mappings, { region: queues.region });
  await runner.start();
}

async function depth(queue: string): Promise<number> {
  const attributes = await queues.getQueueAttributes(queue, [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
  ]);
  return (
    Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

async function run(messages: number, batchSize: number, maximumConcurrency: number): Promise<MappingRun> {
  runs += 1;
  const queue = `bench-${runs}`;
  await queues.createQueue(queue, { VisibilityTimeout: "60" });
  for (let sent = 0; sent < messages; sent += 10) {
    const entries = Array.from({ length: Math.min(10, messages - sent) }, (_, i) => ({
      id: String(i),
      body: JSON.stringify({ invoice: sent + i }),
    }));
    await queues.sendMessageBatch(queue, entries);
  }
  handled = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const mapping = await mappings.create({
    queue,
    functionName: "noop",
    batchSize,
    ...(batchSize > 10 ? { maximumBatchingWindowInSeconds: 1 } : {}),
    maximumConcurrency,
  });
  await runner.sync();
  let peakPollers = 0;
  // Handled first (cheap to watch), then until the last deletes landed.
  while (handled < messages) {
    peakPollers = Math.max(peakPollers, runner.activePollers(mapping.uuid));
    await sleep(5);
  }
  while ((await depth(queue)) > 0) await sleep(5);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await mappings.remove(mapping.uuid);
  await runner.sync();
  await queues.deleteQueue(queue);
  return {
    messages,
    seconds,
    messagesPerSecond: messages / seconds,
    peakPollers,
    cpuMicrosPerMessage: (cpu.user + cpu.system) / messages,
  };
}

async function close(): Promise<void> {
  await runner?.close();
  await queues?.close();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  else await dropSchema(schema);
}

const reply = (response: Response) => process.stdout.write(`${JSON.stringify(response)}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as Request;
  try {
    if (request.op === "open") {
      await open();
      reply({ ok: true });
    } else if (request.op === "run") {
      reply({ ok: true, run: await run(request.messages, request.batchSize, request.maximumConcurrency) });
    } else {
      await close();
      reply({ ok: true });
      process.exit(0);
    }
  } catch (error) {
    reply({ ok: false, error: (error as Error).stack ?? String(error) });
  }
}
