import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipelineApi, type PipelineApi } from "../../src/pipeline/api-client.js";
import { PipelineError, ServiceRefused } from "../../src/pipeline/errors.js";
import { SERVICE_KEY, type StubService, startStubService } from "./stub-service.js";

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const timeouts = { requestTimeoutMillis: 300, transferTimeoutMillis: 300 };

describe("the /v1/pipeline client", () => {
  let service: StubService;
  let api: PipelineApi;

  beforeAll(async () => {
    service = await startStubService();
    api = createPipelineApi({ url: `${service.url}/`, serviceKey: SERVICE_KEY, ...timeouts });
  });
  afterAll(() => service.close());

  it("calls the routes with the service key and returns their JSON", async () => {
    service.add("c_1", "février 810.edi", "ISA*...");
    expect(await api.setProcessing("c_1")).toEqual({ state: "Processing" });
    const file = await api.file("c_1");
    expect(file.name).toBe("février 810.edi");
    expect(file.bytes.toString()).toBe("ISA*...");
  });

  it("names a 4xx by the service's error code, with its message, and keeps the status", async () => {
    const refused = await api.setProcessing("c_missing").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServiceRefused);
    expect(refused).toMatchObject({
      name: "ContainerNotFound",
      message: "no container c_missing",
      status: 404,
    });

    const wrongKey = createPipelineApi({ url: service.url, serviceKey: "nope", ...timeouts });
    await expect(wrongKey.verify("c_1")).rejects.toMatchObject({ name: "Forbidden", status: 403 });
  });

  it("counts 5xx, 408 and 429 as the service being unavailable", async () => {
    for (const status of [500, 503, 408, 429]) {
      service.fail("verify", status);
      const error = await api.verify("c_1").catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(PipelineError);
      expect(error).not.toBeInstanceOf(ServiceRefused);
      expect((error as Error).name).toBe("Pipeline.ServiceUnavailable");
      expect((error as Error).message).toContain(`/v1/pipeline/containers/c_1/verify: ${status}`);
    }
    service.fail("verify", undefined);
  });

  it("counts a connection refused and a service that does not answer in time as unavailable", async () => {
    const down = createPipelineApi({
      url: `http://127.0.0.1:${await closedPort()}`,
      serviceKey: SERVICE_KEY,
      ...timeouts,
    });
    await expect(down.createInvoice("c_1", 1)).rejects.toMatchObject({
      name: "Pipeline.ServiceUnavailable",
      message: expect.stringContaining("ECONNREFUSED"),
    });

    service.fail("checks", "hang");
    const started = Date.now();
    await expect(api.checkInvoice("i_1")).rejects.toMatchObject({
      name: "Pipeline.ServiceUnavailable",
      message: expect.stringContaining("no answer within 300 ms"),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    service.fail("checks", undefined);
  });

  it("stops at the caller's signal (the function's deadline) as unavailable", async () => {
    service.fail("processing", "hang");
    const aborter = new AbortController();
    const slow = createPipelineApi({
      url: service.url,
      serviceKey: SERVICE_KEY,
      requestTimeoutMillis: 60_000,
      transferTimeoutMillis: 60_000,
    });
    setTimeout(() => aborter.abort(), 100);
    await expect(slow.setProcessing("c_1", aborter.signal)).rejects.toMatchObject({
      name: "Pipeline.ServiceUnavailable",
      message: expect.stringContaining("deadline"),
    });
    service.fail("processing", undefined);
  });
});
