import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvoicesError } from "../../../src/invoices/errors.js";
import { authenticate, isLoopback, type KeyLookup } from "../../../src/server/v1/auth.js";
import { BACKENDS } from "../../support/backends.js";
import { type Api, startApi, upload } from "./support.js";

async function refusal(promise: Promise<unknown>): Promise<InvoicesError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvoicesError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("deciding who calls", () => {
  const lookup = (tenantKeys: Record<string, string>): KeyLookup => ({
    serviceKey: async () => "isk_service",
    tenantOfKey: async (key) => tenantKeys[key],
    anyTenantKeys: async () => Object.keys(tenantKeys).length > 0,
  });

  it("knows loopback addresses", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      expect(isLoopback(address)).toBe(true);
    }
    for (const address of ["10.0.0.1", "::ffff:10.0.0.1", "192.168.1.2", "fe80::1", "", undefined]) {
      expect(isLoopback(address)).toBe(false);
    }
  });

  it("lets callers on this machine in as the default tenant while no tenant key exists", async () => {
    expect(await authenticate({ remoteAddress: "127.0.0.1" }, lookup({}))).toEqual({
      kind: "tenant",
      tenantId: "default",
      local: true,
    });
    expect(await authenticate({ remoteAddress: "::1" }, lookup({}))).toEqual({
      kind: "tenant",
      tenantId: "default",
      local: true,
    });
    const remote = await refusal(authenticate({ remoteAddress: "10.1.2.3" }, lookup({})));
    expect([remote.name, remote.status]).toEqual(["Unauthorized", 401]);
    // Once a key exists, nobody gets in without one.
    const keyed = await refusal(authenticate({ remoteAddress: "127.0.0.1" }, lookup({ ik_a: "a" })));
    expect(keyed.status).toBe(401);
  });

  it("tells the service key, tenant keys and unknown keys apart", async () => {
    const keys = lookup({ ik_a: "acme" });
    expect(
      await authenticate({ authorization: "Bearer isk_service", remoteAddress: "10.0.0.1" }, keys),
    ).toEqual({
      kind: "service",
    });
    expect(await authenticate({ authorization: "bearer ik_a", remoteAddress: "10.0.0.1" }, keys)).toEqual({
      kind: "tenant",
      tenantId: "acme",
    });
    expect((await refusal(authenticate({ authorization: "Bearer ik_b" }, keys))).status).toBe(401);
    expect((await refusal(authenticate({ authorization: "Basic eDp5" }, keys))).status).toBe(401);
    // A wrong key is refused even from loopback with no keys configured.
    expect(
      (await refusal(authenticate({ authorization: "Bearer nope", remoteAddress: "127.0.0.1" }, lookup({}))))
        .status,
    ).toBe(401);
  });
});

describe.each(BACKENDS)("API keys over HTTP on %s", (dialect) => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi(dialect);
  });
  afterAll(async () => {
    await api?.close();
  });

  it("serves the default tenant to loopback callers until a tenant key exists, then wants keys", async () => {
    const mine = await upload(api, "default.csv", "a,b\n");
    const list = await api.call("/v1/containers");
    expect(list.status).toBe(200);
    expect(((await list.json()) as { containers: { id: string }[] }).containers.map((c) => c.id)).toEqual([
      mine,
    ]);

    const acmeKey = await api.tenant("acme");
    const refused = await api.call("/v1/containers");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: { code: "Unauthorized", message: "An API key is required: Authorization: Bearer KEY." },
    });
    expect((await api.call("/v1/containers", { key: "ik_not_issued" })).status).toBe(401);
    const acme = await api.call("/v1/containers", { key: acmeKey });
    expect(((await acme.json()) as { containers: unknown[] }).containers).toEqual([]);
    // The service key sees every tenant.
    const all = await api.call("/v1/containers", { key: api.serviceKey });
    expect(((await all.json()) as { containers: { id: string }[] }).containers.map((c) => c.id)).toEqual([
      mine,
    ]);
  });

  it("keeps the pipeline routes to the service key", async () => {
    const key = await api.tenant("pipeline-tenant");
    const id = await upload(api, "p.csv", "x", key);
    const refused = await api.call(`/v1/pipeline/containers/${id}/processing`, { method: "POST", key });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("Forbidden");
    const allowed = await api.call(`/v1/pipeline/containers/${id}/processing`, {
      method: "POST",
      key: api.serviceKey,
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ state: "Processing" });
  });

  it("serves the OpenAPI document without a key", async () => {
    const response = await api.call("/v1/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        "/v1/openapi.json",
        "/v1/files",
        "/v1/containers",
        "/v1/containers/{id}",
        "/v1/containers/{id}/file",
        "/v1/containers/{id}/reprocess",
        "/v1/containers/{id}/redrive",
        "/v1/invoices",
        "/v1/invoices/export",
        "/v1/invoices/{id}",
        "/v1/suppliers",
        "/v1/overview",
        "/v1/sources",
        "/v1/sources/{name}",
        "/v1/sources/{name}/poll",
        "/v1/sources/{name}/test",
        "/v1/pipeline/containers/{id}/processing",
        "/v1/pipeline/containers/{id}/file",
        "/v1/pipeline/containers/{id}/parsed",
        "/v1/pipeline/containers/{id}/invoices/{key}",
        "/v1/pipeline/invoices/{id}/checks",
        "/v1/pipeline/containers/{id}/verify",
        "/v1/pipeline/containers/{id}/execution-status",
      ].sort(),
    );
    const list = document.paths["/v1/containers"]!.get as {
      parameters: { name: string }[];
      responses: Record<string, unknown>;
    };
    expect(list.parameters.map((p) => p.name)).toContain("cursor");
    expect(Object.keys(list.responses)).toEqual(["200", "4XX", "5XX"]);
    const files = document.paths["/v1/files"]!.post as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(files.requestBody.content)).toEqual(["application/octet-stream"]);
  });

  it("answers unknown routes under /v1 in its error shape", async () => {
    const response = await api.call("/v1/nothing", { key: api.serviceKey });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("NotFound");
  });
});
