import { createTransport, type SendMailOptions, type SentMessageInfo, type Transporter } from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { writeJson } from "../../src/formats/samples.js";
import { addSource, getSource } from "../../src/ingest/sources.js";
import { containerProgress } from "../../src/invoices/containers.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const invoices = (seed: number, count = 2) =>
  [...writeJson({ seed, invoices: count, minLines: 1, maxLines: 3 })].join("");

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

describe.each(BACKENDS)("email sources through the SMTP listener on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let server: RunningServer;
  let mailer: Transporter;

  const containerCount = async () =>
    Number((await server.store.query<{ n: number }>("SELECT COUNT(*) AS n FROM containers"))[0]!.n);
  /** The ids of the containers made since `after` (a count), oldest first. */
  const containersSince = async (after: number) =>
    (await server.store.query<{ id: string }>("SELECT id FROM containers ORDER BY seq"))
      .slice(after)
      .map((r) => r.id);
  async function finished(ids: string[]): Promise<string[]> {
    for (let i = 0; i < 300; i++) {
      const seen = await containerProgress(server.store, ids);
      if (seen.length === ids.length && seen.every((c) => c.state === "Done" || c.state === "Error")) {
        return ids.map((id) => seen.find((c) => c.id === id)!.state);
      }
      await sleep(100);
    }
    throw new Error(`containers ${ids.join(", ")} did not finish`);
  }
  /** Sends and answers the SMTP outcome: accepted, or the server's reply code and text. */
  const send = (
    message: SendMailOptions,
  ): Promise<{ accepted?: string[]; code?: number; response?: string }> =>
    mailer
      .sendMail({ from: "billing@supplier.example", subject: "Invoices", text: "Attached.", ...message })
      .then(
        (info: SentMessageInfo) => ({ accepted: info.accepted as string[] }),
        (error: { responseCode?: number; response?: string }) => ({
          code: error.responseCode,
          response: error.response,
        }),
      );

  beforeAll(async () => {
    server = await startServer(
      dialect === "sqlite"
        ? { data: database.options.dataDir!, host: "127.0.0.1", port: 0, smtpPort: 0 }
        : { data: "", database: database.args[1]!, host: "127.0.0.1", port: 0, smtpPort: 0 },
    );
    const [host, port] = server.smtp!.split(":");
    mailer = createTransport({ host, port: Number(port), secure: false, ignoreTLS: true });
    await addSource(server.store, {
      tenantId: "default",
      name: "inbox",
      kind: "email",
      settings: { address: "Invoices@Acme.example", pattern: "*.{json,zip}" },
    });
    await addSource(server.store, {
      tenantId: "default",
      name: "small",
      kind: "email",
      settings: { address: "small@acme.example", maxEmailBytes: 4096 },
    });
  }, 60_000);
  afterAll(async () => {
    mailer?.close();
    await server?.close();
    await database.drop();
  });

  it("makes a Done container of each matching attachment, and none again when the same mail comes twice", async () => {
    const before = await containerCount();
    const mail = {
      to: "invoices@acme.example",
      attachments: [
        { filename: "march.json", content: invoices(1) },
        { filename: "april.json", content: invoices(2, 3) },
        { filename: "terms.txt", content: "not an invoice" },
      ],
    };
    expect(await send(mail)).toEqual({ accepted: ["invoices@acme.example"] });
    const made = await containersSince(before);
    expect(made).toHaveLength(2);
    expect(await finished(made)).toEqual(["Done", "Done"]);
    const rows = await server.store.query<{ name: string; source: string }>(
      "SELECT name, source FROM containers WHERE id IN ($1, $2) ORDER BY name",
      made,
    );
    expect(rows).toEqual([
      { name: "april.json", source: "email" },
      { name: "march.json", source: "email" },
    ]);
    const source = await getSource(server.store, "default", "inbox");
    expect(source).toMatchObject({ filesTaken: 2 });
    expect(source.lastError).toBeUndefined();

    // Sent again (a sender retrying after a lost reply): accepted, nothing made twice.
    expect(await send(mail)).toEqual({ accepted: ["invoices@acme.example"] });
    expect(await containerCount()).toBe(before + 2);
  }, 60_000);

  it("unpacks a zip attachment into one container per file", async () => {
    const before = await containerCount();
    const zip = await zipOf({ "q2/may.json": invoices(3), "q2/june.json": invoices(4) });
    expect(
      await send({ to: "invoices@acme.example", attachments: [{ filename: "q2.zip", content: zip }] }),
    ).toEqual({ accepted: ["invoices@acme.example"] });
    const made = await containersSince(before);
    expect(made).toHaveLength(2);
    expect(await finished(made)).toEqual(["Done", "Done"]);
  }, 60_000);

  it("is no open relay: mail for any other address is refused at RCPT", async () => {
    const before = await containerCount();
    for (const to of ["someone@gmail.com", "other@acme.example", "invoices@acme.example.evil.com"]) {
      const outcome = await send({ to, attachments: [{ filename: "x.json", content: invoices(5) }] });
      expect(outcome).toMatchObject({ code: 550 });
      expect(outcome.response).toContain("No mailbox here");
    }
    expect(await containerCount()).toBe(before);
  });

  it("refuses mail over the source's size limit, and mail with nothing to take, saying why", async () => {
    const before = await containerCount();
    const big = await send({
      to: "small@acme.example",
      attachments: [{ filename: "big.json", content: "x".repeat(10_000) }],
    });
    expect(big).toMatchObject({ code: 552 });

    const empty = await send({ to: "invoices@acme.example", subject: "Just saying hi" });
    expect(empty).toMatchObject({ code: 554 });
    expect(empty.response).toContain("had no attachment matching *.{json,zip}");
    expect((await getSource(server.store, "default", "inbox")).lastError).toMatch(
      /^Email from billing@supplier\.example \("Just saying hi"\) had no attachment matching/,
    );
    expect(await containerCount()).toBe(before);
  });
});
