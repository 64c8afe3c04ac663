import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { write810, writeJson } from "../../src/formats/samples.js";
import { createTestDatabase } from "../support/backends.js";
import type { Spawned } from "../support/processes.js";
import {
  type Container,
  exactlyOnce,
  fixture,
  invoiceFiles,
  loggedErrors,
  processes,
  settled,
  startServe,
  tally,
  type V1,
  v1,
} from "./harness.js";

/**
 * Files that cannot be digitized, among files that can, through one `inflow serve` (services and
 * workers in one process, SQLite): each bad one ends in Error with the parser's diagnostic, the
 * others Done, and no upload, however malformed or large, crashes the process or leaves a
 * container stuck.
 */

const x12 = (invoices: number) => [...write810({ seed: 77, invoices, minLines: 2, maxLines: 3 })].join("");
const json = (invoices: number) => [...writeJson({ seed: 78, invoices, minLines: 2, maxLines: 3 })].join("");

/** Bytes that are no text format at all (seeded, so a failure can be replayed). */
const garbage = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 251));

/** Poison files, each with what its container's reason must say: the file, the place, the diagnostic. */
const POISON: { name: string; bytes: Buffer; reason: RegExp }[] = [
  { name: "garbage.bin", bytes: garbage(4096), reason: /garbage\.bin: line 1: fatal [A-Z]\w*\.\w+: / },
  {
    // An interchange cut inside its ISA header.
    name: "isa-cut.edi",
    bytes: Buffer.from(x12(3).slice(0, 50)),
    reason: /^isa-cut\.edi: segment 1 \(ISA\): fatal X12\.InvalidISA: /,
  },
  {
    // NDJSON cut in the middle of its second record.
    name: "cut.json",
    bytes: Buffer.from(json(3).slice(0, Math.floor(json(3).length * 0.5))),
    reason: /^cut\.json: record 1, line 2:\d+: fatal JSON\.Syntax: /,
  },
  {
    name: "letter.txt",
    bytes: Buffer.from("Dear supplier,\nplease find attached nothing at all.\n"),
    reason: /^letter\.txt: line 1: fatal CSV\.UnknownLayout: /,
  },
  {
    // JSON, but no invoice.
    name: "not-an-invoice.json",
    bytes: Buffer.from('{"hello": "world"}\n'),
    reason: /^not-an-invoice\.json: record 0, line 1:1, at \/\w*: error JSON\.SchemaViolation: /,
  },
];

interface Sent {
  status: number;
  body: string;
  /** Bytes written before the answer came. */
  written: number;
  /** The connection was reset before the answer could be read. */
  reset?: true;
}

/**
 * Streams `total` bytes to POST /v1/files over a plain socket, never holding more than a chunk:
 * chunked, or with a Content-Length of `contentLength` when given. A server that refuses the body
 * may close the connection while the client still writes (EPIPE, ECONNRESET): what counts is the
 * answer read before that, so writing stops at the first error and reading goes on to the end. When
 * the reset discarded the answer, the upload is reported `reset`.
 */
function streamUpload(url: string, total: number, contentLength?: number): Promise<Sent> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let written = 0;
    let writtenAtAnswer: number | undefined;
    let received = "";
    let failed: Error | undefined;
    const answer = () => {
      const head = received.indexOf("\r\n\r\n");
      if (head < 0) return undefined;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(received.slice(0, head))?.[1] ?? Number.NaN);
      const body = received.slice(head + 4);
      return Number.isNaN(length) || body.length >= length
        ? { status, body: body.slice(0, length || undefined) }
        : undefined;
    };
    const finish = () => {
      const got = answer();
      socket.destroy();
      if (got) resolve({ ...got, written: writtenAtAnswer ?? written });
      // The server stopped the upload by closing, and the reset reached the client before the
      // answer it had sent (a loaded machine makes this likely): refused all the same.
      else if (["EPIPE", "ECONNRESET"].includes((failed as NodeJS.ErrnoException | undefined)?.code ?? ""))
        resolve({ status: 0, body: "", written, reset: true });
      else
        reject(
          failed ?? new Error(`no answer to the upload; received ${JSON.stringify(received.slice(0, 200))}`),
        );
    };
    socket.setTimeout(60_000, () => socket.destroy(new Error("no answer within 60 s")));
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      writtenAtAnswer ??= written;
      received += chunk;
      if (answer()) finish();
    });
    socket.on("error", (error) => {
      failed = error;
    });
    socket.on("close", finish);
    socket.write(
      `POST /v1/files?name=huge.bin HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
        "Content-Type: application/octet-stream\r\n" +
        (contentLength !== undefined
          ? `Content-Length: ${contentLength}\r\n`
          : "Transfer-Encoding: chunked\r\n") +
        "\r\n",
    );
    const chunk = Buffer.alloc(256 * 1024, 0x41);
    const framed =
      contentLength !== undefined
        ? chunk
        : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
    const pump = () => {
      while (writtenAtAnswer === undefined && failed === undefined && !socket.destroyed && written < total) {
        written += chunk.length;
        if (!socket.write(framed)) {
          socket.once("drain", pump);
          return;
        }
      }
      if (written >= total && contentLength === undefined && !socket.destroyed) socket.write("0\r\n\r\n");
    };
    pump();
  });
}

/** The peak resident memory of a process so far (Linux), in bytes. */
function peakMemory(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) * 1024;
}

describe("poison files and malformed uploads (inflow serve, SQLite)", () => {
  const tracker = processes();
  const database = createTestDatabase("sqlite");
  let serve: Spawned & { url: string };
  let api: V1;
  beforeAll(async () => {
    serve = await startServe(tracker, {
      databaseArgs: database.args,
      port: 0,
      config: fixture("patient.yaml"),
    });
    api = v1(() => serve.url);
  });
  afterAll(async () => {
    await tracker.killAll();
    await database.drop();
  });

  it("ends a poison file in Error with the parser's diagnostic, naming the file and the place, and the files beside it Done", async () => {
    const good = invoiceFiles(9, { prefix: "good", firstSeed: 500, invoices: (i) => 1 + (i % 3) });
    // Poison first, between and last, so each meets the pipeline while good files are in it.
    const files = [
      POISON[0]!,
      ...good.slice(0, 3),
      ...POISON.slice(1, 3),
      ...good.slice(3),
      ...POISON.slice(3),
    ];
    const ids = await api.uploadAll(files, 3);
    const containers = await settled(api, ids, 60_000);
    const byName = new Map(containers.map((container) => [container.name, container]));

    for (const poison of POISON) {
      const container = byName.get(poison.name)!;
      expect({ name: poison.name, state: container.state }).toEqual({ name: poison.name, state: "Error" });
      expect(container.error).toMatch(poison.reason);
      expect(container.invoiceCount).toBe(0);
    }
    const goodIds = good.map((file) => byName.get(file.name)!.id);
    const checked = await exactlyOnce(api, good, goodIds);
    expect(checked.problems).toEqual([]);
    expect(checked.created).toBe(checked.expected);
  }, 90_000);

  it("ends a truncated X12 810 (no SE, GE or IEA) in Error with the parser's diagnostic, not Done with a partial invoice", async () => {
    const whole = x12(3);
    const one = x12(1);
    const files = [
      // As `inflow serve --demo` cuts its broken file (src/cli/demo.ts): before the TDS of its only invoice.
      { name: "cut-before-tds.edi", bytes: Buffer.from(one.slice(0, one.indexOf("TDS"))) },
      // Inside the second invoice's lines: the first invoice is whole, the second is not.
      {
        name: "cut-in-second.edi",
        bytes: Buffer.from(whole.slice(0, whole.indexOf("IT1*2*", whole.indexOf("ST*810*000002")) + 8)),
      },
    ];
    const ids = await api.uploadAll(files, 2);
    await settled(api, ids, 30_000);
    const outcomes = await Promise.all(ids.map((id) => api.container(id)));
    expect(
      outcomes.map((c) => ({ name: c.name, state: c.state, invoices: c.invoiceCount, error: c.error })),
      `warnings: ${JSON.stringify(outcomes.map((c) => c.warnings?.map((w) => w.code)))}`,
    ).toEqual(
      files.map((file) => ({
        name: file.name,
        state: "Error",
        invoices: 0,
        error: expect.stringContaining(`${file.name}: segment `),
      })),
    );
  }, 60_000);

  it("refuses empty uploads and unusable names with 400, and creates no container", async () => {
    const before = (await api.containers()).length;
    const empty = await api.call("/v1/files?name=empty.edi", { method: "POST", body: Buffer.alloc(0) });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("EmptyFile");
    for (const query of ["", "?name=", "?name=..", `?name=${encodeURIComponent("a/b.edi")}`]) {
      const answer = await api.call(`/v1/files${query}`, { method: "POST", body: "x" });
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
    }
    expect((await api.containers()).length).toBe(before);
  });

  it("refuses 200 MB with 413 while it is still being sent, chunked or by Content-Length, without holding it in memory", async () => {
    const before = (await api.containers()).length;
    const MB = 1024 * 1024;
    const peakBefore = peakMemory(serve.child.pid!);
    const chunked = await streamUpload(serve.url, 200 * MB);
    if (!chunked.reset) {
      expect(chunked.status, chunked.body).toBe(413);
      expect(JSON.parse(chunked.body).error.code).toBe("FileTooLarge");
    }
    // Answered soon after the 64 MiB limit, far from the 200 MB the client meant to send.
    expect(chunked.written).toBeLessThan(100 * MB);

    const declared = await streamUpload(serve.url, 200 * MB, 200 * MB);
    if (!declared.reset) expect(declared.status, declared.body).toBe(413);
    expect(declared.written).toBeLessThan(16 * MB);

    // The process read at most the limit (about 64 MiB more at its peak), never the 200 MB.
    expect(peakMemory(serve.child.pid!) - peakBefore).toBeLessThan(150 * MB);
    expect(serve.child.exitCode, serve.stderr()).toBeNull();
    expect((await api.containers()).length).toBe(before);
  }, 120_000);

  it("digitizes a large binary upload under the limit to Error with a reason, and stays up", async () => {
    const bytes = randomBytes(24 * 1024 * 1024);
    const [id] = await api.uploadAll([{ name: "large-garbage.bin", bytes }]);
    const [container] = await settled(api, [id!], 60_000);
    expect(container!.state).toBe("Error");
    expect(container!.error).toMatch(/large-garbage\.bin: (line|segment|record) \d+/);
    expect(serve.child.exitCode, serve.stderr()).toBeNull();
  }, 90_000);

  it("has no container left New or Processing after all of it, and logged no error", async () => {
    const all: Container[] = await api.containers();
    expect(tally(all).New ?? 0).toBe(0);
    expect(tally(all).Processing ?? 0).toBe(0);
    expect(serve.child.exitCode, serve.stderr()).toBeNull();
    // No route failed with a 500 on the way: every refusal was a deliberate 4xx.
    expect(loggedErrors(serve)).toEqual([]);
  });
});
