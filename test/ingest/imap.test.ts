import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from "node:net";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { writeJson } from "../../src/formats/samples.js";
import { MasterKey } from "../../src/ingest/master-key.js";
import { type PollDeps, type PollReport, pollSource } from "../../src/ingest/poll.js";
import { createSecretReader, createSecrets } from "../../src/ingest/secrets.js";
import { addSource, getSource } from "../../src/ingest/sources.js";
import type { ImapSettings } from "../../src/ingest/types.js";
import { containerProgress } from "../../src/invoices/containers.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";
import { startImapServer, type TestImapServer } from "../support/imap-server.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const invoices = (seed: number, count = 2) =>
  [...writeJson({ seed, invoices: count, minLines: 1, maxLines: 3 })].join("");

interface Attachment {
  filename: string;
  content: string | Buffer;
}

/** A message as a supplier's mail client would send it: a text body and the attachments. */
async function message(subject: string, attachments: Attachment[] = []): Promise<Buffer> {
  return new MailComposer({
    from: "Billing <billing@supplier.example>",
    to: "invoices@acme.example",
    subject,
    text: `Please find attached: ${attachments.map((a) => a.filename).join(", ") || "nothing"}.`,
    attachments,
  })
    .compile()
    .build();
}

function zipOf(files: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

describe.each(BACKENDS)("polling an IMAP mailbox (dovecot) on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  const masterKey = new MasterKey(randomBytes(32), "test");
  let server: RunningServer;
  let imap: TestImapServer;
  let deps: PollDeps;

  /** Waits until each container is Done or Error and answers their states. */
  async function finished(ids: string[]): Promise<string[]> {
    for (let i = 0; i < 300; i++) {
      const seen = await containerProgress(server.store, ids);
      if (seen.every((c) => c.state === "Done" || c.state === "Error") && seen.length === ids.length) {
        return ids.map((id) => seen.find((c) => c.id === id)!.state);
      }
      await sleep(100);
    }
    throw new Error(`containers ${ids.join(", ")} did not finish`);
  }
  const countContainers = async () =>
    Number((await server.store.query<{ n: number }>("SELECT COUNT(*) AS n FROM containers"))[0]!.n);
  const statuses = (report: PollReport) => report.files.map((file) => [file.name, file.status]);
  const containerIds = (report: PollReport) =>
    report.files.flatMap((file) =>
      file.status === "taken" ? [file.containerId!] : (file.unpacked ?? []).map((m) => m.containerId!),
    );

  /** An imap source over plain IMAP (tls: none) on the test server, reading `mailbox`. */
  async function mailboxSource(name: string, settings: Partial<ImapSettings> & { mailbox: string }) {
    await addSource(server.store, {
      tenantId: "default",
      name,
      kind: "imap",
      settings: {
        host: imap.host,
        port: imap.port,
        user: imap.user,
        passwordSecret: "imap-password",
        tls: "none",
        ...settings,
      },
    });
  }

  beforeAll(async () => {
    [server, imap] = await Promise.all([
      startServer(
        dialect === "sqlite"
          ? { data: database.options.dataDir!, host: "127.0.0.1", port: 0 }
          : { data: "", database: database.args[1]!, host: "127.0.0.1", port: 0 },
      ),
      startImapServer(),
    ]);
    await createSecrets(server.store, masterKey, "default").set("imap-password", imap.password);
    deps = { ...server, readSecret: createSecretReader(server.store, () => masterKey), retryWaitMillis: 10 };
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await imap?.close();
    await database.drop();
  });

  it("makes a Done container of each matching attachment, keeps the messages, and takes nothing new on a second poll", async () => {
    await imap.append(
      "keep",
      await message("Invoices March", [
        { filename: "march-1.json", content: invoices(1) },
        { filename: "march-2.json", content: invoices(2, 3) },
        { filename: "terms.pdf", content: Buffer.from("%PDF-1.4 not an invoice") },
      ]),
    );
    await imap.append(
      "keep",
      await message("Invoice April", [{ filename: "april.json", content: invoices(3) }]),
    );
    await mailboxSource("keep", { mailbox: "keep", pattern: "*.json" });

    const first = await pollSource(deps, "default", "keep");
    expect(first.error).toBeUndefined();
    expect(first).toMatchObject({ taken: 3, ignored: 1 });
    expect(statuses(first)).toEqual([
      ["march-1.json", "taken"],
      ["march-2.json", "taken"],
      ["april.json", "taken"],
    ]);
    expect(await finished(containerIds(first))).toEqual(["Done", "Done", "Done"]);
    const [container] = await server.store.query<{ name: string; source: string }>(
      "SELECT name, source FROM containers WHERE id = $1",
      [first.files[0]!.containerId!],
    );
    expect(container).toEqual({ name: "march-1.json", source: "email" });

    // Kept, marked read.
    const kept = await imap.list("keep");
    expect(kept.map((m) => m.subject)).toEqual(["Invoices March", "Invoice April"]);
    expect(kept.every((m) => m.flags.includes("\\Seen"))).toBe(true);

    const before = await countContainers();
    const second = await pollSource(deps, "default", "keep");
    expect(second).toMatchObject({ taken: 0, files: [] });
    expect(second.error).toBeUndefined();
    expect(await countContainers()).toBe(before);
    const source = await getSource(server.store, "default", "keep");
    expect(source).toMatchObject({ filesTaken: 3 });
    expect(source.lastError).toBeUndefined();
    expect(source.lastPollAt).toBeGreaterThan(0);

    // A new message arriving later is taken on its own.
    await imap.append("keep", await message("Invoice May", [{ filename: "may.json", content: invoices(4) }]));
    const third = await pollSource(deps, "default", "keep");
    expect(statuses(third)).toEqual([["may.json", "taken"]]);
  }, 60_000);

  it("moves taken messages to the archive mailbox, creating it", async () => {
    await imap.append("move", await message("To archive", [{ filename: "m.json", content: invoices(5) }]));
    await imap.append(
      "move",
      await message("To archive too", [{ filename: "n.json", content: invoices(6) }]),
    );
    await mailboxSource("move", { mailbox: "move", after: "move", archive: "move-done" });
    const report = await pollSource(deps, "default", "move");
    expect(report.error).toBeUndefined();
    expect(report.taken).toBe(2);
    expect(report.files.every((file) => file.error === undefined)).toBe(true);
    expect(await imap.list("move")).toEqual([]);
    expect((await imap.list("move-done")).map((m) => m.subject)).toEqual(["To archive", "To archive too"]);
    expect((await pollSource(deps, "default", "move")).files).toEqual([]);
  }, 60_000);

  it("deletes taken messages, emptying the mailbox", async () => {
    await imap.append("delete", await message("To delete", [{ filename: "d.json", content: invoices(7) }]));
    await mailboxSource("delete", { mailbox: "delete", after: "delete" });
    const report = await pollSource(deps, "default", "delete");
    expect(report.error).toBeUndefined();
    expect(statuses(report)).toEqual([["d.json", "taken"]]);
    expect(await imap.list("delete")).toEqual([]);
  }, 60_000);

  it("unpacks a zip attachment into one container per file", async () => {
    const zip = await zipOf({ "z1.json": invoices(8), "z2.json": invoices(9) });
    await imap.append("zip", await message("Zipped", [{ filename: "batch.zip", content: zip }]));
    await mailboxSource("zip", { mailbox: "zip" });
    const report = await pollSource(deps, "default", "zip");
    expect(report.error).toBeUndefined();
    expect(report.taken).toBe(2);
    expect(report.files).toHaveLength(1);
    expect(report.files[0]).toMatchObject({ name: "batch.zip", status: "unpacked" });
    expect(report.files[0]!.unpacked!.map((m) => [m.name, m.status])).toEqual([
      ["z1.json", "taken"],
      ["z2.json", "taken"],
    ]);
    expect(await finished(containerIds(report))).toEqual(["Done", "Done"]);
  }, 60_000);

  it("reports a message without a matching attachment once and leaves it for a human", async () => {
    await imap.append("bare", await message("Just saying hello"));
    await imap.append("bare", await message("Wrong kind", [{ filename: "scan.pdf", content: "%PDF-1.4" }]));
    await mailboxSource("bare", { mailbox: "bare", after: "move", archive: "bare-done", pattern: "*.json" });
    const report = await pollSource(deps, "default", "bare");
    expect(report.error).toBeUndefined();
    expect(report.taken).toBe(0);
    expect(report.files).toEqual([
      {
        name: "bare/1",
        size: expect.any(Number),
        status: "error",
        error:
          'Message "Just saying hello" from billing@supplier.example had no attachment: left in the mailbox.',
      },
      {
        name: "bare/2",
        size: expect.any(Number),
        status: "error",
        error:
          'Message "Wrong kind" from billing@supplier.example had no attachment matching *.json: left in the mailbox.',
      },
    ]);
    const source = await getSource(server.store, "default", "bare");
    expect(source.lastError).toContain("2 files failed");
    expect(source.lastError).toContain("had no attachment matching *.json");
    // Not moved: the after-action is for messages something was taken from.
    expect((await imap.list("bare")).map((m) => m.subject)).toEqual(["Just saying hello", "Wrong kind"]);
    expect(await imap.list("bare-done")).toEqual([]);

    // Not reported again.
    const again = await pollSource(deps, "default", "bare");
    expect(again.files).toEqual([]);
    expect((await getSource(server.store, "default", "bare")).lastError).toBeUndefined();
  }, 60_000);

  it("leaves a message over the size limit alone, reporting it", async () => {
    await imap.append("large", await message("Large", [{ filename: "big.json", content: invoices(14, 40) }]));
    await imap.append("large", await message("Small", [{ filename: "s.json", content: invoices(15, 1) }]));
    const [large, small] = await imap.list("large");
    await mailboxSource("large", { mailbox: "large", after: "delete", maxEmailBytes: small!.size + 100 });
    const report = await pollSource(deps, "default", "large");
    expect(report.error).toBeUndefined();
    expect(statuses(report)).toEqual([
      ["large/1", "error"],
      ["s.json", "taken"],
    ]);
    expect(report.files[0]!.error).toBe(
      `Message "Large" from billing@supplier.example is ${large!.size} bytes, over the source's limit of ${small!.size + 100} bytes: left in the mailbox.`,
    );
    expect((await imap.list("large")).map((m) => m.subject)).toEqual(["Large"]);
  }, 60_000);

  it("counts a message as taken when its move fails, and tries the move again on the next poll", async () => {
    await imap.append("stuck", await message("Stuck", [{ filename: "stuck.json", content: invoices(16) }]));
    // Dovecot refuses mailbox names starting with ~.
    await mailboxSource("stuck", { mailbox: "stuck", after: "move", archive: "~archive" });
    const report = await pollSource(deps, "default", "stuck");
    expect(report.error).toBeUndefined();
    expect(report.taken).toBe(1);
    expect(report.files[0]).toMatchObject({ name: "stuck.json", status: "taken" });
    expect(report.files[0]!.error).toMatch(/^taken, but not moved: .*Invalid mailbox name/);
    expect((await getSource(server.store, "default", "stuck")).filesTaken).toBe(1);
    expect(await imap.list("stuck")).toHaveLength(1);

    const again = await pollSource(deps, "default", "stuck");
    expect(again.taken).toBe(0);
    expect(statuses(again)).toEqual([["stuck/1", "seen"]]);
    expect(again.files[0]!.error).toMatch(/^taken, but not moved: /);
  }, 60_000);

  it("test lists each new message's attachments and takes nothing", async () => {
    await imap.append(
      "look",
      await message("Have a look", [
        { filename: "look.json", content: invoices(10) },
        { filename: "look.txt", content: "notes" },
      ]),
    );
    await mailboxSource("look", { mailbox: "look", pattern: "*.json", after: "delete" });
    const before = await countContainers();
    const report = await pollSource(deps, "default", "look", { take: false });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ taken: 0, ignored: 1 });
    expect(report.files).toEqual([{ name: "look.json", size: expect.any(Number), status: "new" }]);
    // Near the real size (body structures give the encoded size).
    expect(Math.abs(report.files[0]!.size - Buffer.byteLength(invoices(10)))).toBeLessThan(8);
    expect(await countContainers()).toBe(before);
    expect(await imap.list("look")).toHaveLength(1);
    expect((await getSource(server.store, "default", "look")).lastPollAt).toBeUndefined();
    // A poll afterwards takes it.
    expect((await pollSource(deps, "default", "look")).taken).toBe(1);
    expect(await imap.list("look")).toEqual([]);
  }, 60_000);

  it("fails on a refused login naming the server, not the password, and takes the messages once the secret is right", async () => {
    await imap.append("login", await message("After login", [{ filename: "l.json", content: invoices(11) }]));
    await mailboxSource("login", { mailbox: "login", passwordSecret: "imap-login-password" });
    const secrets = createSecrets(server.store, masterKey, "default");
    await secrets.set("imap-login-password", "not-the-password-x7");
    const refused = await pollSource(deps, "default", "login");
    expect(refused.taken).toBe(0);
    expect(refused.error).toMatch(
      new RegExp(`^imap://${imap.user}@127\\.0\\.0\\.1:${imap.port}: login refused \\(AUTHENTICATIONFAILED`),
    );
    const source = await getSource(server.store, "default", "login");
    expect(source.lastError).toBe(refused.error);
    expect(source.lastError).not.toContain("not-the-password-x7");
    expect(source.lastError).not.toContain(imap.password);

    await secrets.set("imap-login-password", imap.password);
    const report = await pollSource(deps, "default", "login");
    expect(report.error).toBeUndefined();
    expect(statuses(report)).toEqual([["l.json", "taken"]]);
    expect((await getSource(server.store, "default", "login")).lastError).toBeUndefined();
  }, 60_000);

  it("connects again when the connection drops in the middle of a poll", async () => {
    // A proxy that cuts the first connection when it asks for a message's bytes.
    let connections = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((downstream) => {
      const first = ++connections === 1;
      const upstream = tcpConnect(imap.port, imap.host);
      for (const socket of [downstream, upstream]) {
        sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => {
          downstream.destroy();
          upstream.destroy();
        });
      }
      downstream.on("data", (chunk: Buffer) => {
        if (first && chunk.toString("latin1").includes("BODY.PEEK[]")) downstream.destroy();
        else upstream.write(chunk);
      });
      upstream.pipe(downstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      await imap.append("drop", await message("Dropped", [{ filename: "drop.json", content: invoices(17) }]));
      await mailboxSource("drop", { mailbox: "drop", port: (proxy.address() as AddressInfo).port });
      const report = await pollSource(deps, "default", "drop");
      expect(report.error).toBeUndefined();
      expect(statuses(report)).toEqual([["drop.json", "taken"]]);
      expect(connections).toBe(2);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 60_000);

  it("fails on an unreachable server with a connection error after its retries", async () => {
    await mailboxSource("down", { mailbox: "INBOX", port: 1, retries: 1 });
    const report = await pollSource(deps, "default", "down");
    expect(report.error).toBe(`imap://${imap.user}@127.0.0.1:1: connection refused`);
  }, 60_000);

  it("takes messages over implicit TLS, trusting the server's certificate through caFile", async () => {
    await imap.append("tls", await message("Over TLS", [{ filename: "t.json", content: invoices(12) }]));
    await mailboxSource("tls", {
      mailbox: "tls",
      tls: "implicit",
      port: imap.tlsPort!,
      caFile: imap.caFile!,
    });
    const report = await pollSource(deps, "default", "tls");
    expect(report.error).toBeUndefined();
    expect(statuses(report)).toEqual([["t.json", "taken"]]);

    // Without the CA file the certificate is not trusted: refused, not retried.
    await imap.append(
      "tls",
      await message("Over TLS again", [{ filename: "u.json", content: invoices(13) }]),
    );
    await mailboxSource("tls-untrusted", { mailbox: "tls", tls: "implicit", port: imap.tlsPort! });
    const untrusted = await pollSource(deps, "default", "tls-untrusted");
    expect(untrusted.error).toMatch(/TLS certificate not trusted/);

    // STARTTLS on the plain port works too.
    await mailboxSource("tls-starttls", { mailbox: "tls", tls: "starttls", caFile: imap.caFile! });
    const upgraded = await pollSource(deps, "default", "tls-starttls");
    expect(upgraded.error).toBeUndefined();
    // The first message's bytes were taken by another source: each source has its own memory.
    expect(statuses(upgraded)).toEqual([
      ["t.json", "taken"],
      ["u.json", "taken"],
    ]);
  }, 60_000);
});
