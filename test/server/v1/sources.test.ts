import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeJson } from "../../../src/formats/samples.js";
import { MasterKey } from "../../../src/ingest/master-key.js";
import { createSecretReader, createSecrets } from "../../../src/ingest/secrets.js";
import { BACKENDS } from "../../support/backends.js";
import { startSftpServer, type TestSftpServer } from "../../support/sftp-server.js";
import { type Api, startApi } from "./support.js";

const invoices = (seed: number) => [...writeJson({ seed, invoices: 1, minLines: 1, maxLines: 2 })].join("");

describe.each(BACKENDS)("/v1/sources on %s", (dialect) => {
  const masterKey = new MasterKey(randomBytes(32), "test");
  const drop = mkdtempSync(join(tmpdir(), "inflow-v1-sources-"));
  let api: Api;
  let acme: string;
  let globex: string;
  let sftp: TestSftpServer;
  const sftpPassword = `pw-${randomBytes(8).toString("hex")}-Zq9!`;

  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  const json = async (response: Response): Promise<{ status: number; body: any }> => ({
    status: response.status,
    body: await response.json(),
  });
  const post = (path: string, key: string, body: unknown) =>
    api.call(path, {
      key,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    api = await startApi(dialect, { readSecret: (store) => createSecretReader(store, () => masterKey) });
    acme = await api.tenant("acme");
    globex = await api.tenant("globex");
    sftp = await startSftpServer({ password: sftpPassword });
  }, 60_000);
  afterAll(async () => {
    await sftp?.close();
    await api?.close();
    rmSync(drop, { recursive: true, force: true });
  });

  it("adds, lists, polls and removes a tenant's source, which other tenants cannot see", async () => {
    writeFileSync(join(drop, "one.json"), invoices(1));
    const added = await json(
      await post("/v1/sources", acme, {
        name: "drop",
        kind: "folder",
        settings: { path: drop, pattern: "*.json" },
        schedule: "rate(5 minutes)",
      }),
    );
    expect(added).toMatchObject({
      status: 201,
      body: { name: "drop", kind: "folder", enabled: true, filesTaken: 0, schedule: "rate(5 minutes)" },
    });
    expect(added.body.settings).toMatchObject({ path: drop, pattern: "*.json", after: "keep" });

    const tested = await json(await post("/v1/sources/drop/test", acme, {}));
    expect(tested).toMatchObject({
      status: 200,
      body: { taken: 0, files: [{ name: "one.json", status: "new" }] },
    });
    const polled = await json(await post("/v1/sources/drop/poll", acme, {}));
    expect(polled).toMatchObject({
      status: 200,
      body: { taken: 1, files: [{ name: "one.json", status: "taken" }] },
    });
    const containerId = polled.body.files[0].containerId as string;
    expect((await api.call(`/v1/containers/${containerId}`, { key: acme })).status).toBe(200);
    expect((await api.call(`/v1/containers/${containerId}`, { key: globex })).status).toBe(404);

    const listed = await json(await api.call("/v1/sources", { key: acme }));
    expect(listed.body.sources).toHaveLength(1);
    expect(listed.body.sources[0]).toMatchObject({ name: "drop", filesTaken: 1 });
    expect(listed.body.sources[0].lastPollAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // Another tenant sees none of it, and cannot act on it.
    expect((await json(await api.call("/v1/sources", { key: globex }))).body).toEqual({ sources: [] });
    expect((await api.call("/v1/sources/drop", { key: globex })).status).toBe(404);
    expect((await post("/v1/sources/drop/poll", globex, {})).status).toBe(404);
    expect((await api.call("/v1/sources/drop", { key: globex, method: "DELETE" })).status).toBe(404);

    expect((await api.call("/v1/sources/drop", { key: acme, method: "DELETE" })).status).toBe(204);
    expect((await api.call("/v1/sources/drop", { key: acme })).status).toBe(404);
  });

  it("refuses bad settings with the reason, a taken email address, and the service key", async () => {
    const noHost = await json(
      await post("/v1/sources", acme, {
        name: "s",
        kind: "sftp",
        settings: { user: "u", passwordSecret: "pw" },
      }),
    );
    expect(noHost).toMatchObject({ status: 400, body: { error: { code: "InvalidSource" } } });
    expect(noHost.body.error.message).toContain("needs the server's host");
    // A password where a secret's name belongs is refused, not stored.
    const inline = await json(
      await post("/v1/sources", acme, {
        name: "s",
        kind: "sftp",
        settings: { host: "127.0.0.1", user: "u", passwordSecret: "hunter2 with spaces!" },
      }),
    );
    expect(inline.body.error.message).toContain("must name a secret");
    expect((await post("/v1/sources", acme, { name: "s", kind: "gopher", settings: {} })).status).toBe(400);

    const mail = { name: "inbox", kind: "email", settings: { address: "ap@acme.example" } };
    expect((await post("/v1/sources", acme, mail)).status).toBe(201);
    const taken = await json(await post("/v1/sources", globex, mail));
    expect(taken).toMatchObject({ status: 409, body: { error: { code: "EmailAddressTaken" } } });
    const notPolled = await json(await post("/v1/sources/inbox/poll", acme, {}));
    expect(notPolled).toMatchObject({ status: 400, body: { error: { code: "InvalidSource" } } });

    const service = await json(await api.call("/v1/sources", { key: api.serviceKey }));
    expect(service).toMatchObject({ status: 403, body: { error: { code: "TenantKeyRequired" } } });
  });

  it("logs in with the tenant's own secret only: another tenant's of the same name is never used", async () => {
    writeFileSync(join(sftp.root, "remote.json"), invoices(2));
    await createSecrets(api.store, masterKey, "globex").set("sftp-password", sftpPassword);
    const settings = {
      host: "127.0.0.1",
      port: sftp.port,
      user: sftp.user,
      passwordSecret: "sftp-password",
      hostKey: sftp.hostKeyFingerprint,
      retries: 0,
    };
    expect((await post("/v1/sources", acme, { name: "remote", kind: "sftp", settings })).status).toBe(201);
    expect((await post("/v1/sources", globex, { name: "remote", kind: "sftp", settings })).status).toBe(201);

    const acmePoll = await json(await post("/v1/sources/remote/poll", acme, {}));
    expect(acmePoll.body).toMatchObject({ taken: 0 });
    expect(acmePoll.body.error).toBe(
      "Tenant acme has no secret sftp-password: store it with `inflow secrets set sftp-password --tenant acme`.",
    );
    const acmeSource = await json(await api.call("/v1/sources/remote", { key: acme }));
    expect(acmeSource.body.lastError).toBe(acmePoll.body.error);

    const globexPoll = await json(await post("/v1/sources/remote/poll", globex, {}));
    expect(globexPoll.body).toMatchObject({ taken: 1, facts: { hostKey: sftp.hostKeyFingerprint } });
    expect(globexPoll.body.error).toBeUndefined();
    // No answer carries the password.
    for (const body of [acmePoll.body, globexPoll.body, acmeSource.body]) {
      expect(JSON.stringify(body)).not.toContain(sftpPassword);
    }
  });
});
