import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { createTestDatabase } from "../support/backends.js";

const run = promisify(execFile);

/** `inflow ...` as a child process (TypeScript through tsx); resolves with its stdout, or rejects with its stderr. */
async function inflow(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args]);
  return stdout;
}

describe("inflow tenants and keys", () => {
  const database = createTestDatabase("sqlite");
  const data = ["--data", database.options.dataDir!];
  let server: RunningServer | undefined;

  beforeAll(async () => {
    await inflow(["tenants", "add", "acme", "--name", "Acme Foods", ...data]);
    await inflow(["tenants", "add", "globex", ...data]);
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    await database.drop();
  });

  it("lists tenants, shows a key once and lists keys without it", async () => {
    expect(await inflow(["tenants", "ls", ...data])).toMatch(/acme\s+Acme Foods[\s\S]*globex/);
    const created = JSON.parse(
      await inflow(["keys", "create", "--tenant", "acme", "--label", "erp", "--json", ...data]),
    ) as { id: string; key: string };
    expect(created.key).toMatch(/^ik_/);
    const listed = await inflow(["keys", "ls", ...data]);
    expect(listed).toContain(created.id);
    expect(listed).not.toContain(created.key);
    await expect(inflow(["keys", "create", "--tenant", "nobody", ...data])).rejects.toMatchObject({
      stderr: expect.stringContaining("No tenant nobody"),
    });
  }, 30_000);

  it("scopes /v1 to the key's tenant, and a revoked key opens nothing", async () => {
    const acme = JSON.parse(await inflow(["keys", "create", "--tenant", "acme", "--json", ...data])) as {
      id: string;
      key: string;
    };
    const globex = JSON.parse(await inflow(["keys", "create", "--tenant", "globex", "--json", ...data])) as {
      key: string;
    };
    server = await startServer({ data: database.options.dataDir!, host: "127.0.0.1", port: 0 });
    const call = (path: string, key?: string, init: RequestInit = {}) =>
      fetch(`${server!.address}${path}`, {
        ...init,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...init.headers },
      });

    const uploaded = await call("/v1/files?name=a.json", acme.key, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: '{"invoiceNumber":"A-1","total":"10.00","lines":[]}',
    });
    expect(uploaded.status).toBe(201);
    const { containerId } = (await uploaded.json()) as { containerId: string };
    expect((await call(`/v1/containers/${containerId}`, acme.key)).status).toBe(200);
    // Another tenant's container does not exist for it; with keys issued, no key means no access, here too.
    expect((await call(`/v1/containers/${containerId}`, globex.key)).status).toBe(404);
    expect((await call("/v1/containers")).status).toBe(401);

    // Revoked from another process while the server runs: refused from the next request on.
    await inflow(["keys", "revoke", acme.id, ...data]);
    expect((await call(`/v1/containers/${containerId}`, acme.key)).status).toBe(401);
  }, 60_000);
});
