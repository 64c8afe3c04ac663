import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../../src/cli/commands/serve.js";
import { writeJson } from "../../../src/formats/samples.js";
import { createApiKey } from "../../../src/invoices/api-keys.js";
import { containerProgress } from "../../../src/invoices/containers.js";
import { createTenant } from "../../../src/invoices/tenants.js";

/** What the dashboard draws a container's execution from, on the real digitize pipeline. */
describe("a container's execution and history over /v1", () => {
  const dir = mkdtempSync(join(tmpdir(), "inflow-v1-executions-"));
  let server: RunningServer;
  let key: string;

  const call = (path: string, bearer = key) =>
    fetch(`${server.address}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  async function upload(name: string, body: string): Promise<string> {
    const response = await fetch(`${server.address}/v1/files?name=${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/octet-stream" },
      body,
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { containerId: string }).containerId;
  }
  async function finished(id: string): Promise<string> {
    for (let i = 0; i < 300; i++) {
      const [container] = await containerProgress(server.store, [id]);
      if (container?.state === "Done" || container?.state === "Error") return container.state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`container ${id} did not finish`);
  }

  beforeAll(async () => {
    server = await startServer({ data: dir, host: "127.0.0.1", port: 0 });
    await createTenant(server.store, { id: "acme" });
    key = (await createApiKey(server.store, "acme")).key;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows every state of a Done container's execution succeeded, with the Map's iterations", async () => {
    const id = await upload(
      "good.json",
      [...writeJson({ seed: 5, invoices: 3, minLines: 1, maxLines: 2 })].join(""),
    );
    expect(await finished(id)).toBe("Done");
    const response = await call(`/v1/containers/${id}/execution`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      execution: { status: string; executionArn: string };
      definition: { StartAt: string; States: Record<string, unknown> };
      states: Record<string, { status: string; input?: string; iterations?: Record<string, number> }>;
    };
    expect(body.execution.status).toBe("SUCCEEDED");
    expect(body.definition.StartAt).toBe("SetFileAsProcessing");
    expect(
      Object.fromEntries(Object.entries(body.states).map(([name, state]) => [name, state.status])),
    ).toEqual({
      SetFileAsProcessing: "succeeded",
      ParseFile: "succeeded",
      CreateInvoices: "succeeded",
      Verify: "succeeded",
      Done: "succeeded",
    });
    expect(JSON.parse(body.states.SetFileAsProcessing!.input!)).toMatchObject({ containerId: id });
    // Three invoices are one chunk: one iteration of the distributed Map.
    expect(body.states.CreateInvoices!.iterations).toEqual({ total: 1, succeeded: 1, failed: 0, running: 0 });

    const history = (await (await call(`/v1/containers/${id}/history?limit=3`)).json()) as {
      events: { id: number; type: string; stateName?: string }[];
      nextCursor?: string;
    };
    expect(history.events.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
    ]);
    expect(history.events[1]!.stateName).toBe("SetFileAsProcessing");
    const next = (await (
      await call(`/v1/containers/${id}/history?limit=500&cursor=${history.nextCursor}`)
    ).json()) as {
      events: { id: number; type: string }[];
      nextCursor?: string;
    };
    expect(next.events[0]!.id).toBe(4);
    expect(next.events.at(-1)!.type).toBe("ExecutionSucceeded");
    expect(next.nextCursor).toBeUndefined();
    const failures = (await (await call(`/v1/containers/${id}/history?failuresOnly=true`)).json()) as {
      events: unknown[];
    };
    expect(failures.events).toEqual([]);

    // The distributed Map's iterations, and one opened: its own graph, from the Map's ItemProcessor.
    const listed = (await (await call(`/v1/containers/${id}/iterations?state=CreateInvoices`)).json()) as {
      iterations: { executionArn: string; status: string }[];
    };
    expect(listed.iterations.map((iteration) => iteration.status)).toEqual(["SUCCEEDED"]);
    const iterationArn = listed.iterations[0]!.executionArn;
    const opened = (await (
      await call(`/v1/containers/${id}/execution?iteration=${encodeURIComponent(iterationArn)}`)
    ).json()) as {
      execution: { executionArn: string; status: string };
      definition: { StartAt: string };
      states: Record<string, { status: string; iterations?: Record<string, number> }>;
    };
    expect(opened.execution).toMatchObject({ executionArn: iterationArn, status: "SUCCEEDED" });
    expect(opened.definition.StartAt).toBe("CreateChunk");
    // The chunk's inline Map created the three invoices, one iteration each.
    expect(opened.states.CreateChunk).toMatchObject({
      status: "succeeded",
      iterations: { total: 3, succeeded: 3, failed: 0, running: 0 },
    });
    const iterationHistory = (await (
      await call(`/v1/containers/${id}/history?limit=1&iteration=${encodeURIComponent(iterationArn)}`)
    ).json()) as { events: { type: string }[] };
    expect(iterationHistory.events.map((event) => event.type)).toEqual(["ExecutionStarted"]);
    expect((await call(`/v1/containers/${id}/iterations?state=Verify`)).status).toBe(400);
  }, 60_000);

  it("marks the state a failed container's execution stopped in, with its error, and keeps it to its tenant", async () => {
    // Cut off inside an invoice: the parser refuses the file.
    const bad = `ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~GS*IN*SENDER*RECEIVER*20240101*1200*1*X*004010~ST*810*0001~BIG*20240101*INV-1`;
    const id = await upload("cut.edi", bad);
    expect(await finished(id)).toBe("Error");
    const body = (await (await call(`/v1/containers/${id}/execution`)).json()) as {
      execution: { status: string };
      states: Record<string, { status: string; error?: string; cause?: string }>;
    };
    expect(body.execution.status).toBe("FAILED");
    expect(body.states.SetFileAsProcessing!.status).toBe("succeeded");
    expect(body.states.ParseFile!.status).toBe("failed");
    expect(body.states.ParseFile!.error).toMatch(/^X12\./);
    expect(body.states.CreateInvoices!.status).toBe("notReached");

    const failures = (await (await call(`/v1/containers/${id}/history?failuresOnly=true`)).json()) as {
      events: { type: string }[];
    };
    expect(failures.events.length).toBeGreaterThan(0);
    expect(failures.events.every((event) => /(Failed|TimedOut|Aborted)$/.test(event.type))).toBe(true);
    expect(failures.events.at(-1)!.type).toBe("ExecutionFailed");

    await createTenant(server.store, { id: "globex" });
    const other = (await createApiKey(server.store, "globex")).key;
    expect((await call(`/v1/containers/${id}/execution`, other)).status).toBe(404);
    // An iteration of another container's execution is not this one's to show.
    const done = (await (await call("/v1/containers?state=Done")).json()) as { containers: { id: string }[] };
    const doneIterations = (await (
      await call(`/v1/containers/${done.containers[0]!.id}/iterations?state=CreateInvoices`)
    ).json()) as { iterations: { executionArn: string }[] };
    const foreign = await call(
      `/v1/containers/${id}/execution?iteration=${encodeURIComponent(doneIterations.iterations[0]!.executionArn)}`,
    );
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("IterationNotFound");
    expect((await call(`/v1/containers/${id}/history`, other)).status).toBe(404);
  }, 60_000);
});
