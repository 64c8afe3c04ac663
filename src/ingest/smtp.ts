import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { DEFAULT_MAX_FILE_BYTES } from "../invoices/types.js";
import { containersMade, type IntakeDeps, type IntakeResult, intake } from "./intake.js";
import { findEmailSource, recordPoll } from "./sources.js";
import { recordTaken } from "./taken.js";
import { attachmentName, compileGlob } from "./transport.js";
import { DEFAULT_MAX_EMAIL_BYTES, MAX_EMAIL_BYTES, type Source } from "./types.js";

type EmailSource = Extract<Source, { kind: "email" }>;

/**
 * The inbound SMTP listener: each email source is an address, and mail to it becomes containers,
 * one per attachment (a zip's files one each). Suppliers' mail servers, or the organisation's own
 * mail server forwarding to Inflow, deliver here.
 *
 * - Never a relay: a recipient is accepted only if it is an enabled email source's address, so
 *   no mail for anyone else is ever taken, let alone sent on. There is no AUTH: an MX takes mail
 *   for its own addresses from anyone.
 * - Bounded: SIZE is announced (the largest limit a source may have), a message over its
 *   recipients' smallest limit is refused with 552 once that many bytes arrived, and at most
 *   MAX_RECIPIENTS recipients and MAX_CLIENTS connections are taken.
 * - Durable before it answers: 250 is sent only once every container is in the database, so a
 *   crash before that leaves the mail with the sender, who tries again (the same attachment sent
 *   twice makes one container: the content hash decides). A failure of Inflow answers 451
 *   (try again later); mail with nothing to take answers 554, so the sender learns why.
 */
export interface SmtpListenerOptions {
  /** Default 127.0.0.1: a public listener is a choice (a port forward, `--smtp-host 0.0.0.0`). */
  host?: string;
  /** 0: any free port. */
  port: number;
  /** The server's name in its greeting; default the host. */
  name?: string;
  onError(error: unknown): void;
}

export interface SmtpListener {
  /** Where it listens: `HOST:PORT`. */
  address: string;
  port: number;
  close(): Promise<void>;
}

const MAX_RECIPIENTS = 20;
const MAX_CLIENTS = 100;
const SOCKET_TIMEOUT_MILLIS = 60_000;

/** An SMTP reply: smtp-server sends the code with the message. */
const reply = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startSmtpListener(
  deps: IntakeDeps,
  options: SmtpListenerOptions,
): Promise<SmtpListener> {
  const host = options.host ?? "127.0.0.1";
  /** The recipients' sources, by session (smtp-server keeps only the addresses). */
  const recipients = new WeakMap<SMTPServerSession, EmailSource[]>();

  const server = new SMTPServer({
    name: options.name ?? host,
    banner: "Inflow invoice intake",
    disabledCommands: ["AUTH", "STARTTLS"],
    size: MAX_EMAIL_BYTES,
    maxClients: MAX_CLIENTS,
    socketTimeout: SOCKET_TIMEOUT_MILLIS,
    disableReverseLookup: true,
    logger: false,

    onRcptTo(address, session, callback) {
      void (async () => {
        const taken = recipients.get(session) ?? [];
        if (taken.length >= MAX_RECIPIENTS) return reply(452, "Too many recipients in one message.");
        const source = await findEmailSource(deps.store, address.address.trim().toLowerCase());
        if (source?.kind !== "email" || !source.enabled) {
          return reply(
            550,
            `No mailbox here for ${address.address}: mail is taken for invoice sources only.`,
          );
        }
        const limit = source.settings.maxEmailBytes ?? DEFAULT_MAX_EMAIL_BYTES;
        // MAIL FROM:<a@b> SIZE=n: a sender that says the size up front is refused before it sends.
        const args = session.envelope.mailFrom
          ? (session.envelope.mailFrom.args as { SIZE?: string })
          : undefined;
        const declared = Number(args?.SIZE);
        if (Number.isFinite(declared) && declared > limit) {
          return reply(552, `The message is ${declared} bytes; ${address.address} takes at most ${limit}.`);
        }
        recipients.set(session, [...taken, source]);
        return null;
      })().then(
        (error) => callback(error),
        (error) => {
          options.onError(error);
          callback(reply(451, "Cannot check the recipient now; try again later."));
        },
      );
    },

    onData(stream, session, callback) {
      const sources = recipients.get(session) ?? [];
      recipients.delete(session);
      const limit = Math.min(
        MAX_EMAIL_BYTES,
        ...sources.map((s) => s.settings.maxEmailBytes ?? DEFAULT_MAX_EMAIL_BYTES),
      );
      readLimited(stream, limit).then(
        async (bytes) => {
          if (bytes === undefined) {
            return callback(
              reply(552, `The message exceeds the limit of ${limit} bytes for its recipients.`),
            );
          }
          try {
            const mail = await simpleParser(bytes, {
              skipHtmlToText: true,
              skipTextToHtml: true,
              skipTextLinks: true,
            });
            const outcomes = [];
            for (const source of sources) outcomes.push(await deliver(deps, source, mail, session));
            const refusal = outcomes.find((outcome) => outcome !== undefined);
            // Every recipient refused it (nothing to take): the sender learns why.
            if (refusal !== undefined && outcomes.every((outcome) => outcome !== undefined)) {
              return callback(reply(554, refusal));
            }
            return callback(null);
          } catch (error) {
            options.onError(error);
            return callback(reply(451, "The message could not be taken now; try again later."));
          }
        },
        (error) => {
          options.onError(error);
          callback(reply(451, "The message could not be read; try again later."));
        },
      );
    },
  });
  server.on("error", (error) => options.onError(error));

  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port, host, () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    address: `${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The whole message, or undefined once it passed `limit` bytes (the rest is read and dropped). */
async function readLimited(stream: SMTPServerDataStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit || stream.sizeExceeded ? undefined : Buffer.concat(chunks, size);
}

/**
 * Takes one message's attachments for one email source, and records it as the source's latest
 * "poll". Answers why nothing was taken, when nothing was (no attachment, none matching, all
 * refused); undefined when something was, or all of it had been taken before.
 */
async function deliver(
  deps: IntakeDeps,
  source: EmailSource,
  mail: ParsedMail,
  session: SMTPServerSession,
): Promise<string | undefined> {
  const { settings } = source;
  const matches = settings.pattern ? compileGlob(settings.pattern) : () => true;
  const maxFileBytes = settings.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const results: IntakeResult[] = [];
  const errors: string[] = [];
  const at = Date.now();
  for (const attachment of mail.attachments) {
    const name = attachmentName(attachment.filename);
    if (name === undefined) {
      errors.push(
        `an attachment with an unsafe or missing name (${JSON.stringify(attachment.filename ?? "")})`,
      );
      continue;
    }
    if (!matches(name)) continue;
    if (attachment.content.length > maxFileBytes) {
      errors.push(
        `${name}: ${attachment.content.length} bytes exceeds the source's limit of ${maxFileBytes} bytes`,
      );
      continue;
    }
    const result = await intake(deps, source, { name, bytes: attachment.content }, { maxFileBytes });
    results.push(result);
    for (const member of result.unpacked ?? []) if (member.error) errors.push(`${name}: ${member.error}`);
    await recordTaken(
      deps.store,
      source,
      { name: `${messageKey(mail, session)}/${name}`, size: attachment.content.length, mtime: at },
      {
        sha256: result.sha256!,
        ...(result.containerId !== undefined ? { containerId: result.containerId } : {}),
      },
    );
  }
  const taken = results.reduce((sum, result) => sum + containersMade(result).length, 0);
  const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
  const from = mail.from?.value[0]?.address ?? envelopeFrom ?? "an unknown sender";
  const error =
    errors.length > 0
      ? `Email from ${from}: ${errors.join("; ")}`
      : results.length === 0
        ? `Email from ${from} (${JSON.stringify(mail.subject ?? "")}) had no attachment${settings.pattern ? ` matching ${settings.pattern}` : ""}.`
        : undefined;
  await recordPoll(deps.store, source, { at, taken, ...(error !== undefined ? { error } : {}) });
  return results.length === 0 ? (error ?? "Nothing to take.") : undefined;
}

/** How a message is named where it is remembered: its Message-ID, else its session. */
const messageKey = (mail: ParsedMail, session: SMTPServerSession) =>
  (mail.messageId ?? `session-${session.id}`).replace(/[<>\s/]/g, "").slice(0, 200);
