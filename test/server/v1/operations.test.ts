import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../../src/cli/commands/serve.js";
import { writeJson } from "../../../src/formats/samples.js";
import { createApiKey } from "../../../src/invoices/api-keys.js";
import { containerProgress } from "../../../src/invoices/containers.js";
import { serviceKey } from "../../../src/invoices/service-key.js";
import { createTenant } from "../../../src/invoices/tenants.js";
import { createQueues } from "../../../src/queues/service.js";
import type { Queues } from "../../../src/queues/types.js";

interface QueueJson {
  name: string;
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetterQueue?: string;
  maxReceiveCount?: number;
  deadLetterSourceQueues?: string[];
}

/** The operator's routes, on a real `inflow serve`: the deployment's queues and executions. */
describe("/v1/queues and /v1/executions", () => {
  const dir = mkdtempSync(join(tmpdir(), "inflow-v1-operations-"));
  let server: RunningServer;
  /** The same database's queues, as another process would see them. */
  let queues: Queues;

  const get = async <T>(path: string, key?: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.address}${path}`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const post = (path: string, body?: unknown, key?: string) =>
    fetch(`${server.address}${path}`, {
      method: "POST",
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  async function finished(id: string): Promise<string> {
    for (let i = 0; i < 300; i++) {
      const [container] = await containerProgress(server.store, [id]);
      if (container?.state === "Done" || container?.state === "Error") return container.state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`container ${id} did not finish`);
  }
  async function upload(name: string, body: string): Promise<string> {
    const sent = await fetch(`${server.address}/v1/files?name=${name}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body,
    });
    return ((await sent.json()) as { containerId: string }).containerId;
  }

  beforeAll(async () => {
    server = await startServer({ data: dir, host: "127.0.0.1", port: 0 });
    queues = createQueues(server.store);
  }, 60_000);
  afterAll(async () => {
    await queues?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists every queue with its depths and dead-letter queue, peeks without taking, and redrives a DLQ", async () => {
    const dlq = await queues.createQueue("work-dlq");
    await queues.createQueue("work", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    await queues.sendMessage("work", { body: "dead 1" });
    await queues.sendMessage("work", { body: "dead 2" });
    // Received once and not deleted: the next receive moves them to the dead-letter queue.
    for (let i = 0; i < 2; i++) {
      await queues.receiveMessage("work", {
        maxNumberOfMessages: 10,
        visibilityTimeout: 0,
        waitTimeSeconds: 0,
      });
    }
    await queues.sendMessage("work", { body: "later", delaySeconds: 60 });

    const listed = await get<{ queues: QueueJson[] }>("/v1/queues");
    expect(listed.status).toBe(200);
    const byName = new Map(listed.body.queues.map((queue) => [queue.name, queue]));
    expect(byName.get("work")).toEqual({
      name: "work",
      visible: 0,
      inFlight: 0,
      delayed: 1,
      deadLetterQueue: "work-dlq",
      maxReceiveCount: 1,
    });
    expect(byName.get("work-dlq")).toMatchObject({ visible: 2, deadLetterSourceQueues: ["work"] });
    // The pipeline's own queues are there too, each with its dead-letter queue.
    expect(byName.get("process-file")?.deadLetterQueue).toBe("process-file-dlq");

    const peeked = await get<{ messages: { body: string; receiveCount: number }[] }>(
      "/v1/queues/work-dlq/messages",
    );
    expect(peeked.body.messages.map((message) => message.body).sort()).toEqual(["dead 1", "dead 2"]);
    // Visible again at once: a peek takes nothing.
    expect(
      (await get<{ queues: QueueJson[] }>("/v1/queues")).body.queues.find((q) => q.name === "work-dlq"),
    ).toMatchObject({ visible: 2, inFlight: 0 });

    const redrive = await post("/v1/queues/work-dlq/redrive");
    expect(redrive.status).toBe(202);
    expect(((await redrive.json()) as { taskHandle: string }).taskHandle).toEqual(expect.any(String));
    for (let i = 0; i < 100; i++) {
      const work = (await get<{ queues: QueueJson[] }>("/v1/queues")).body.queues.find(
        (q) => q.name === "work",
      )!;
      if (work.visible === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = new Map(
      (await get<{ queues: QueueJson[] }>("/v1/queues")).body.queues.map((q) => [q.name, q]),
    );
    expect(after.get("work")).toMatchObject({ visible: 2, delayed: 1 });
    expect(after.get("work-dlq")).toMatchObject({ visible: 0 });

    const missing = await post("/v1/queues/nope/redrive");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("QueueDoesNotExist");
  }, 30_000);

  it("lists every state machine's executions, failed first, and redrives one", async () => {
    const good = await upload("good.json", [...writeJson({ seed: 9, invoices: 1 })].join(""));
    const bad = await upload(
      "cut.edi",
      "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~GS*IN*SENDER*RECEIVER*20240101*1200*1*X*004010~ST*810*0001~BIG*2024",
    );
    expect(await finished(good)).toBe("Done");
    expect(await finished(bad)).toBe("Error");

    const listed = await get<{ executions: { name: string; status: string; error?: string }[] }>(
      "/v1/executions",
    );
    expect(listed.status).toBe(200);
    expect(listed.body.executions[0]).toMatchObject({ name: bad, status: "FAILED" });
    expect(listed.body.executions[0]!.error).toMatch(/^X12\./);
    expect(
      listed.body.executions.some((execution) => execution.name === good && execution.status === "SUCCEEDED"),
    ).toBe(true);
    const failedOnly = await get<{ executions: { status: string }[] }>("/v1/executions?status=FAILED");
    expect(failedOnly.body.executions.every((execution) => execution.status === "FAILED")).toBe(true);

    const arnOf = async (name: string) =>
      (
        await get<{ executions: { name: string; executionArn: string }[] }>("/v1/executions?limit=200")
      ).body.executions.find((execution) => execution.name === name)!.executionArn;
    const redriven = await post("/v1/executions/redrive", { executionArn: await arnOf(bad) });
    expect(redriven.status).toBe(202);
    const notRedrivable = await post("/v1/executions/redrive", { executionArn: await arnOf(good) });
    expect(notRedrivable.status).toBe(409);
  }, 60_000);

  it("is for the operator: a tenant's key is refused, the service key and the local setup are not", async () => {
    await createTenant(server.store, { id: "acme" });
    const tenantKey = (await createApiKey(server.store, "acme")).key;
    expect((await get("/v1/queues", tenantKey)).status).toBe(403);
    expect((await get("/v1/executions", tenantKey)).status).toBe(403);
    // With a key issued, no one on this machine is let in without one.
    expect((await get("/v1/queues")).status).toBe(401);
    expect((await get("/v1/queues", await serviceKey(server.store))).status).toBe(200);
  });
});
