import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/formats/diagnostics.js";
import { parseAll } from "../../src/formats/parse.js";
import { write810, writeCsv, writeInvoic, writeJson } from "../../src/formats/samples.js";
import { createFunctions } from "../../src/functions/registry.js";
import { createFunctionRuntime, type FunctionRuntime } from "../../src/functions/runtime.js";
import { serviceKey } from "../../src/invoices/service-key.js";
import { createPipelineStarter } from "../../src/invoices/starter.js";
import { DIGITIZE } from "../../src/pipeline/definition.js";
import { describeFailure } from "../../src/pipeline/failure.js";
import { installPipeline, PIPELINE_QUEUES } from "../../src/pipeline/install.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { v1Api } from "../../src/server/v1/index.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";
import { listenOnFreePort } from "../support/listen.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

interface ContainerView {
  id: string;
  name: string;
  state: string;
  invoiceCount: number;
  parsedCount: number | null;
  error?: string;
  executionArn: string;
  transitions: { state: string }[];
  warnings: unknown[];
}

const supplier = { id: "ACMEFOODS", name: "Acme Foods" };

/** The files of one run: each format the pipeline reads, and one no parser recognises. */
const FILES: { name: string; text: string | Buffer }[] = [
  {
    name: "acme-0001.810",
    text: [...write810({ seed: 1, invoices: 3, minLines: 2, maxLines: 5, supplier })].join(""),
  },
  { name: "acme-0002.csv", text: [...writeCsv({ seed: 2, invoices: 4, minLines: 1, maxLines: 4 })].join("") },
  {
    name: "acme-0003.json",
    text: [...writeJson({ seed: 3, invoices: 2, minLines: 1, maxLines: 3, supplier })].join(""),
  },
  {
    name: "acme-0004.edi",
    text: [...writeInvoic({ seed: 4, invoices: 2, minLines: 1, maxLines: 3 })].join(""),
  },
];
const POISON = { name: "poison.bin", text: Buffer.from([0x00, 0x9f, 0x92, 0x96, 0xff, 0xfe, 0x01, 0x02]) };

describe.each(BACKENDS)("digitize end to end on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  let runtime: FunctionRuntime;
  let app: FastifyInstance;
  let url: string;
  let down: RegExp | undefined;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    const functions = createFunctions();
    states = createStates(store, queues, { invoke: functions.invoker(), concurrency: 2 });
    runtime = createFunctionRuntime(store, queues, states, functions);
    app = Fastify({ forceCloseConnections: true });
    // The service "down" for the routes a test names: what a load balancer answers for a dead backend.
    app.addHook("onRequest", async (request, reply) => {
      if (down?.test(request.url))
        return reply.code(503).send({ error: { code: "Unavailable", message: "down" } });
    });
    await app.register(v1Api, {
      store,
      // A failed CreateInvoices (a distributed Map) is reported by its failed iteration's reason.
      states: { executions: { describe: describeFailure(states) } },
      pipeline: createPipelineStarter({ store, states, stateMachineArn: states.machines.arnOf(DIGITIZE) }),
    });
    url = await listenOnFreePort(app);
    await installPipeline({
      queues,
      states,
      runtime,
      functions,
      api: { url, serviceKey: await serviceKey(store) },
      settings: { functionTimeoutSeconds: 2, requestTimeoutMillis: 1500 },
    });
    for (const queue of PIPELINE_QUEUES) await queues.setQueueAttributes(queue, { VisibilityTimeout: "2" });
    await states.startWorkers();
    await runtime.start();
  });
  afterAll(async () => {
    await runtime?.close();
    await states?.close();
    await app?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  /** As a client on 127.0.0.1 with no tenant key configured: the default tenant. */
  const upload = async (name: string, body: string | Buffer) => {
    const response = await fetch(`${url}/v1/files?name=${encodeURIComponent(name)}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { containerId: string }).containerId;
  };

  const container = async (id: string) =>
    (await (await fetch(`${url}/v1/containers/${id}`)).json()) as ContainerView;

  async function settled(id: string, timeoutMillis = 30_000): Promise<ContainerView> {
    const deadline = Date.now() + timeoutMillis;
    for (;;) {
      const view = await container(id);
      if (view.state === "Done" || view.state === "Error") return view;
      if (Date.now() > deadline) throw new Error(`${id} still ${view.state}`);
      await sleep(50);
    }
  }

  async function finished(executionArn: string): Promise<string> {
    for (;;) {
      const { status } = await states.executions.describe(executionArn);
      if (status !== "RUNNING") return status;
      await sleep(25);
    }
  }

  it("digitizes X12 810, CSV, JSON and EDIFACT files to Done with the counts `inflow parse` reports", async () => {
    const ids = [];
    for (const file of FILES) ids.push(await upload(file.name, file.text));
    const poisonId = await upload(POISON.name, POISON.text);

    for (const [index, file] of FILES.entries()) {
      const view = await settled(ids[index]!);
      const { invoices } = await parseAll(typeof file.text === "string" ? Buffer.from(file.text) : file.text);
      expect(view).toMatchObject({
        name: file.name,
        state: "Done",
        invoiceCount: invoices.length,
        parsedCount: invoices.length,
      });
      expect(view.transitions.map((transition) => transition.state)).toEqual(["New", "Processing", "Done"]);
      const listed = (await (await fetch(`${url}/v1/invoices?container=${ids[index]}`)).json()) as {
        invoices: { number: string }[];
      };
      expect(listed.invoices.map((invoice) => invoice.number).sort()).toEqual(
        invoices.map((invoice) => invoice.invoiceNumber).sort(),
      );
      // The container is Done at Verify's call; the execution succeeds once Verify's task is answered.
      expect(await finished(view.executionArn)).toBe("SUCCEEDED");
    }

    const poison = await settled(poisonId);
    const { diagnostics } = await parseAll(POISON.text, { file: POISON.name });
    expect(poison.state).toBe("Error");
    // The parser's diagnostic as `inflow parse` prints it (it names its code: not repeated).
    expect(poison.error).toBe(formatDiagnostic(diagnostics[0]!, POISON.name));
    expect(await finished(poison.executionArn)).toBe("FAILED");
  });

  it("reprocesses a Done container to Done with the same invoices, none created twice", async () => {
    const id = await upload("again.810", FILES[0]!.text);
    const first = await settled(id);
    expect(first.state).toBe("Done");
    const response = await fetch(`${url}/v1/containers/${id}/reprocess`, { method: "POST" });
    expect(response.status).toBe(202);
    const { executionArn } = (await response.json()) as { executionArn: string };
    for (;;) {
      const view = await container(id);
      if (view.executionArn === executionArn && view.state === "Done") break;
      await sleep(50);
    }
    const again = await container(id);
    expect(again.invoiceCount).toBe(first.invoiceCount);
    expect(again.transitions.map((transition) => transition.state)).toEqual([
      "New",
      "Processing",
      "Done",
      "New",
      "Processing",
      "Done",
    ]);
  });

  it("fails a container whose invoices cannot be created to Error with the dead-letter reason; redrive finishes it", async () => {
    await queues.setQueueAttributes("create-invoice", {
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: queues.arnOf("create-invoice-dlq"),
        maxReceiveCount: 2,
      }),
    });
    down = /^\/v1\/pipeline\/containers\/[^/]+\/invoices\//;
    const text = [...write810({ seed: 9, invoices: 2, minLines: 1, maxLines: 2, supplier })].join("");
    const id = await upload("down.810", text);
    const failed = await settled(id);
    expect(failed.state).toBe("Error");
    expect(failed.error).toBe(
      "Pipeline.DeadLettered: dead-lettered: the message to queue create-invoice was received 2 times without being processed",
    );

    down = undefined;
    const response = await fetch(`${url}/v1/containers/${id}/redrive`, { method: "POST" });
    expect(response.status).toBe(202);
    let view = await container(id);
    for (const deadline = Date.now() + 30_000; view.state !== "Done" && Date.now() < deadline; ) {
      await sleep(50);
      view = await container(id);
    }
    expect(view).toMatchObject({ state: "Done", invoiceCount: 2 });
    expect(await finished(view.executionArn)).toBe("SUCCEEDED");
  });
});
