import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSafeFileName } from "../../../src/server/v1/files.js";
import { BACKENDS } from "../../support/backends.js";
import { type Api, startApi, upload } from "./support.js";

const LIMIT = 1024 * 1024;

interface Sent {
  status: number;
  body: string;
  /** Body bytes written before the answer came. */
  written: number;
}

/**
 * Streams up to `total` bytes in 64 KiB chunks (chunked, or announcing `contentLength`) and stops
 * writing as soon as the answer comes.
 */
function streamUpload(url: string, total: number, contentLength?: number): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const target = new URL("/v1/files?name=big.bin", url);
    let written = 0;
    let answered = false;
    const request = httpRequest(target, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        ...(contentLength !== undefined ? { "content-length": String(contentLength) } : {}),
      },
    });
    request.on("response", (response) => {
      answered = true;
      const at = written;
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body, written: at });
      });
    });
    // The server may close the connection on an unread body: the answer is what counts.
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length;
        if (!request.write(chunk)) {
          request.once("drain", pump);
          return;
        }
      }
      if (!answered && contentLength === undefined) request.end();
    };
    pump();
  });
}

describe("file names", () => {
  it("are names, not paths", () => {
    for (const name of [
      "invoice.edi",
      "Rechnung März 2024.csv",
      "a b (1).json",
      ".hidden",
      "x".repeat(255),
    ]) {
      expect(isSafeFileName(name)).toBe(true);
    }
    for (const name of ["", ".", "..", "a/b.csv", "..\\x", "a\u0000b", "tab\there", "x".repeat(256)]) {
      expect(isSafeFileName(name)).toBe(false);
    }
  });
});

describe.each(BACKENDS)("receiving files on %s", (dialect) => {
  let api: Api;

  beforeAll(async () => {
    api = await startApi(dialect, { maxFileBytes: LIMIT });
  });
  afterAll(async () => {
    await api?.close();
  });

  it("makes a container of the raw bytes, started under its own execution, and gives them back", async () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a, 0xff]);
    const response = await api.call("/v1/files?name=Rechnung%20M%C3%A4rz.edi&source=email", {
      method: "POST",
      body: bytes,
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(201);
    const { containerId, executionArn } = (await response.json()) as {
      containerId: string;
      executionArn: string;
    };
    expect(containerId).toMatch(/^c_[A-Za-z0-9_-]{20}$/);
    expect(executionArn).toBe(
      `${api.stateMachineArn.replace(":stateMachine:", ":execution:")}:${containerId}`,
    );
    expect((await api.states.executions.describe(executionArn)).input).toBe(JSON.stringify({ containerId }));

    const detail = (await (await api.call(`/v1/containers/${containerId}`)).json()) as Record<
      string,
      unknown
    >;
    expect(detail).toMatchObject({
      id: containerId,
      tenantId: "default",
      name: "Rechnung März.edi",
      state: "New",
      invoiceCount: 0,
      parsedCount: null,
      executionArn,
      size: 7,
      source: "email",
      reprocessCount: 0,
      warnings: [],
    });
    expect(detail.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect((detail.transitions as { state: string }[]).map((t) => t.state)).toEqual(["New"]);
    expect(Date.parse(detail.receivedAt as string)).toBeGreaterThan(0);

    const file = await api.call(`/v1/containers/${containerId}/file`);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
    expect(file.headers.get("content-disposition")).toBe(
      `attachment; filename="Rechnung M_rz.edi"; filename*=UTF-8''Rechnung%20M%C3%A4rz.edi`,
    );
    const forPipeline = await api.call(`/v1/pipeline/containers/${containerId}/file`, {
      key: api.serviceKey,
    });
    expect(decodeURIComponent(forPipeline.headers.get("x-inflow-file-name")!)).toBe("Rechnung März.edi");
    expect(Buffer.from(await forPipeline.arrayBuffer())).toEqual(bytes);
  });

  it("takes a body without a content type, and stores the same bytes once", async () => {
    const first = await upload(api, "one.csv", "same,bytes\n");
    const response = await api.call("/v1/files?name=two.csv", { method: "POST", body: "same,bytes\n" });
    expect(response.status).toBe(201);
    const second = ((await response.json()) as { containerId: string }).containerId;
    const [a, b] = await Promise.all(
      [first, second].map(
        async (id) => ((await (await api.call(`/v1/containers/${id}`)).json()) as { sha256: string }).sha256,
      ),
    );
    expect(a).toBe(b);
    const [files] = await api.store.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM files WHERE sha256 = $1",
      [a],
    );
    expect(Number(files!.n)).toBe(1);
  });

  it("refuses empty files and names that are missing or paths", async () => {
    const typed: Record<string, string>[] = [{ "content-type": "application/octet-stream" }, {}];
    for (const headers of typed) {
      const empty = await api.call("/v1/files?name=empty.csv", { method: "POST", body: "", headers });
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("EmptyFile");
    }
    for (const query of ["", "?name=", "?name=..%2Fetc%2Fpasswd", "?name=a%00b"]) {
      const response = await api.call(`/v1/files${query}`, { method: "POST", body: "x" });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("InvalidFileName");
    }
    const badSource = await api.call("/v1/files?name=a.csv&source=carrier-pigeon", {
      method: "POST",
      body: "x",
    });
    expect(badSource.status).toBe(400);
  });

  it("refuses a file over the limit by its Content-Length before reading the body", async () => {
    const sent = await streamUpload(api.url, 64 * 1024, 200 * 1024 * 1024);
    expect(sent.status).toBe(413);
    expect(JSON.parse(sent.body)).toEqual({
      error: { code: "FileTooLarge", message: `The file exceeds the limit of ${LIMIT} bytes.` },
    });
  });

  it("refuses a chunked file once it passes the limit, without waiting for the rest", async () => {
    const sent = await streamUpload(api.url, 200 * 1024 * 1024);
    expect(sent.status).toBe(413);
    expect(JSON.parse(sent.body).error.code).toBe("FileTooLarge");
    // Answered while the client was still sending: far from the 200 MB it meant to send.
    expect(sent.written).toBeLessThan(16 * LIMIT);
    // A file of exactly the limit is fine.
    expect(await upload(api, "limit.bin", Buffer.alloc(LIMIT, 1))).toMatch(/^c_/);
  });

  it("lets a tenant key upload only for its own tenant, and the service key for any", async () => {
    const key = await api.tenant("uploader");
    const refused = await api.call("/v1/files?name=a.csv&tenant=default", { method: "POST", body: "x", key });
    expect(refused.status).toBe(403);
    const own = await api.call("/v1/files?name=a.csv&tenant=uploader", { method: "POST", body: "x", key });
    expect(own.status).toBe(201);
    const forTenant = await api.call("/v1/files?name=b.csv&tenant=uploader", {
      method: "POST",
      body: "y",
      key: api.serviceKey,
    });
    const { containerId } = (await forTenant.json()) as { containerId: string };
    expect(
      ((await (await api.call(`/v1/containers/${containerId}`, { key })).json()) as { name: string }).name,
    ).toBe("b.csv");
    const unknown = await api.call("/v1/files?name=b.csv&tenant=nobody", {
      method: "POST",
      body: "y",
      key: api.serviceKey,
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("TenantNotFound");
  });
});
