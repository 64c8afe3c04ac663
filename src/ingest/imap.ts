import { isIP, isIPv6 } from "node:net";
import {
  type FetchMessageObject,
  ImapFlow,
  type ImapFlowError,
  type ImapFlowOptions,
  type MessageStructureObject,
} from "imapflow";
import { type ParsedMail, simpleParser } from "mailparser";
import { sha256Of } from "../invoices/files.js";
import { DEFAULT_MAX_FILE_BYTES } from "../invoices/types.js";
import { IngestError, masterKeyError, sourceFileTooLarge } from "./errors.js";
import { intake } from "./intake.js";
import type { PollDeps, PolledFile, PollReport } from "./poll.js";
import { DEFAULT_RETRIES, withRetries } from "./retries.js";
import type { SecretReader } from "./secrets.js";
import { recordTaken, takenByListing } from "./taken.js";
import { isUntrustedCertificate, redact, TLS_TRUST_CODES, trustedCas } from "./tls-trust.js";
import { attachmentName, compileGlob, DEFAULT_TIMEOUT_SECONDS } from "./transport.js";
import { DEFAULT_MAX_EMAIL_BYTES, MAX_EMAIL_BYTES, type Source } from "./types.js";

type MailboxSource = Extract<Source, { kind: "imap" }>;

/**
 * A mailbox message as listed: what identifies it (UIDVALIDITY and UID), its size and arrival
 * time (the listing remembered as taken), and what a report names it by.
 */
interface Listed {
  uid: number;
  size: number;
  /** INTERNALDATE, epoch ms. */
  arrived: number;
  subject: string;
  from: string;
  structure?: MessageStructureObject;
}

/**
 * A message is remembered as taken under `UIDVALIDITY:UID` (with its size and arrival time), or,
 * when nothing in it could be taken (no attachment matching the pattern), under that and this
 * suffix: it is reported once, then left in the mailbox for a human, and no after-action applies.
 */
const LEFT_SUFFIX = ":left";

const TIMEOUT_CODES = new Set([
  "CONNECT_TIMEOUT",
  "GREETING_TIMEOUT",
  "UPGRADE_TIMEOUT",
  "ETIMEOUT",
  "ETIMEDOUT",
]);

/**
 * One poll of an IMAP mailbox: connect (again after a failure, with back-off; a refused login or
 * an untrusted certificate is not tried again), open the mailbox, list its messages, and for each
 * message not taken before, download it, parse it, and take each attachment matching the pattern
 * as a file (through `intake`, as mail to the SMTP listener is). A message is remembered as taken
 * under `UIDVALIDITY:UID`, so a re-poll takes nothing new; then `after` applies to it: `keep`
 * (marked \Seen), `delete` (flagged \Deleted and expunged) or `move` into the archive mailbox
 * (created when missing). A message with no attachment to take is reported once as an error and
 * left alone for a human. Messages over `maxEmailBytes` are reported and left alone.
 *
 * With `take: false` the mailbox is opened read-only and each new message's attachments are
 * reported as `new` from its body structure, nothing downloaded, taken or recorded.
 *
 * Throws (failing the whole poll) when the mailbox cannot be reached or opened; the error names
 * the server as `imap://user@host:port`, never the password.
 */
export async function pollMailbox(
  deps: PollDeps,
  source: MailboxSource,
  report: PollReport,
  take: boolean,
): Promise<void> {
  const { settings } = source;
  const tls = settings.tls ?? "implicit";
  const port = settings.port ?? (tls === "implicit" ? 993 : 143);
  const mailbox = settings.mailbox ?? "INBOX";
  const timeoutSeconds = settings.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const maxEmailBytes = Math.min(settings.maxEmailBytes ?? DEFAULT_MAX_EMAIL_BYTES, MAX_EMAIL_BYTES);
  const maxFileBytes = settings.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const matches = settings.pattern ? compileGlob(settings.pattern) : () => true;
  const retries = settings.retries ?? DEFAULT_RETRIES;
  const retryOptions = deps.retryWaitMillis !== undefined ? { firstWaitMillis: deps.retryWaitMillis } : {};
  const host = isIPv6(settings.host) ? `[${settings.host}]` : settings.host;
  // How the server is named in errors: never with the password.
  const where = `imap://${settings.user}@${host}:${port}`;

  const password = await passwordOf(source, deps.readSecret);
  const fail = (reason: string, refused = false) =>
    new IngestError(
      refused ? "SourceRefused" : "SourceConnectionFailed",
      redact(`${where}: ${reason}`, password),
      refused ? 401 : 502,
    );
  const ca = tls === "none" ? undefined : await trustedCas(settings.caFile, (reason) => fail(reason, true));

  const options: ImapFlowOptions = {
    host: settings.host,
    port,
    secure: tls === "implicit",
    doSTARTTLS: tls === "starttls" ? true : tls === "none" ? false : undefined,
    auth: { user: settings.user, pass: password ?? "" },
    logger: false,
    // A poll reads and leaves: no IDLE, no compression to reason about.
    disableAutoIdle: true,
    connectionTimeout: timeoutSeconds * 1000,
    greetingTimeout: timeoutSeconds * 1000,
    socketTimeout: timeoutSeconds * 1000,
    // A literal (a message) larger than the largest email taken is a server gone wrong.
    maxLiteralSize: MAX_EMAIL_BYTES + 1024 * 1024,
    maxResponseSize: MAX_EMAIL_BYTES + 2 * 1024 * 1024,
    ...(ca
      ? {
          tls: {
            ca,
            // SNI only for names: Node refuses (with a warning) an IP address as the server name.
            ...(isIP(settings.host) ? {} : { servername: settings.host }),
          },
        }
      : {}),
  };

  /** The UIDVALIDITY seen at the first open: a later connection must see the same. */
  let uidValidity: string | undefined;

  async function open(): Promise<ImapFlow> {
    const client = new ImapFlow(options);
    // Errors after connecting also arrive as events: unheard, they would end the process.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.close();
      throw fail(connectReason(error, timeoutSeconds), isRefusal(error));
    }
    try {
      const opened = await client.mailboxOpen(mailbox, { readOnly: !take });
      const validity = String(opened.uidValidity);
      if (uidValidity !== undefined && validity !== uidValidity) {
        throw new IngestError(
          "SourceChanged",
          `${where}: the mailbox ${mailbox} changed (UIDVALIDITY ${uidValidity} is now ${validity}) during the poll.`,
          409,
        );
      }
      uidValidity = validity;
      return client;
    } catch (error) {
      // A NO on a connection still usable is the server's answer about the mailbox, not a network failure.
      const answered = client.usable;
      await closeQuietly(client);
      if (error instanceof IngestError) throw error;
      const imapError = error as ImapFlowError;
      if (answered || imapError.mailboxMissing || imapError.responseStatus === "NO") {
        throw new IngestError(
          "SourceMailboxNotFound",
          redact(`${where}: cannot open the mailbox ${mailbox} (${serverSays(error)}).`, password),
          404,
        );
      }
      throw fail(`cannot open the mailbox ${mailbox} (${serverSays(error)})`);
    }
  }

  let client: ImapFlow | undefined;
  /**
   * Set once the server could not be reached again after a dropped connection (retries spent):
   * the poll stops there, keeping what it took, rather than try every remaining message.
   */
  let lost = false;
  /** The connection, opened again (with back-off) when the last one dropped. */
  async function session(): Promise<ImapFlow> {
    if (client?.usable) return client;
    await closeQuietly(client);
    client = undefined;
    client = await withRetries(retries, open, retryOptions);
    return client;
  }
  /**
   * Runs `work` on the connection, again on a new one when the connection dropped; an answer of
   * the server on a connection still usable (a NO) is not tried again.
   */
  const onSession = <T>(what: string, work: (c: ImapFlow) => Promise<T>): Promise<T> =>
    withRetries(
      retries,
      async () => {
        const c = await session();
        try {
          return await work(c);
        } catch (error) {
          if (error instanceof IngestError) throw error;
          if (c.usable) throw new IngestError("SourceRefused", `${what}: ${serverSays(error)}`, 400);
          throw fail(`${what}: the connection failed (${connectReason(error, timeoutSeconds)})`);
        }
      },
      retryOptions,
    ).catch((error: unknown) => {
      if (error instanceof IngestError && error.status >= 502) lost = true;
      throw error;
    });

  try {
    const listed = await onSession(`listing ${mailbox}`, listMessages);
    for (const message of listed) {
      if (lost) break;
      const key = `${uidValidity}:${message.uid}`;
      const listing = { name: key, size: message.size, mtime: message.arrived };
      const left = { ...listing, name: `${key}${LEFT_SUFFIX}` };
      if (await takenByListing(deps.store, source, left)) continue;
      const takenBefore = await takenByListing(deps.store, source, listing);
      if (takenBefore) {
        // Taken, yet still here: a delete or move that failed last time is tried again.
        if (take && settings.after !== "keep") {
          const error = await afterTaking(message.uid);
          if (error !== undefined) {
            report.files.push({ name: messageName(message), size: message.size, status: "seen", error });
          }
        }
        continue;
      }
      if (message.size > maxEmailBytes) {
        report.files.push({
          name: messageName(message),
          size: message.size,
          status: "error",
          error: `${describe(message)} is ${message.size} bytes, over the source's limit of ${maxEmailBytes} bytes: left in the mailbox.`,
        });
        continue;
      }
      if (take) await takeMessage(message, listing, left);
      else lookAt(message);
    }
  } finally {
    await closeQuietly(client);
  }

  async function listMessages(c: ImapFlow): Promise<Listed[]> {
    const box = c.mailbox;
    if (box === false || box.exists === 0) return [];
    const fetched = await c.fetchAll(
      "1:*",
      { uid: true, size: true, internalDate: true, envelope: true, bodyStructure: !take },
      { uid: false },
    );
    return fetched.map(toListed).sort((a, b) => a.uid - b.uid);
  }

  /** `test`: the message's attachments as a poll would see them, from its body structure. */
  function lookAt(message: Listed): void {
    const attachments = message.structure ? attachmentsOf(message.structure) : [];
    let found = 0;
    for (const attachment of attachments) {
      const name = attachmentName(attachment.filename);
      if (name === undefined) {
        report.files.push(unsafeAttachment(message, attachment.filename, attachment.size));
        continue;
      }
      if (!matches(name)) {
        report.ignored++;
        continue;
      }
      found++;
      report.files.push(
        attachment.size > maxFileBytes
          ? {
              name,
              size: attachment.size,
              status: "error",
              error: sourceFileTooLarge(name, attachment.size, maxFileBytes).message,
            }
          : { name, size: attachment.size, status: "new" },
      );
    }
    if (found === 0 && !attachments.some((a) => attachmentName(a.filename) === undefined)) {
      report.files.push(nothingToTake(message, attachments.length > 0));
    }
  }

  async function takeMessage(
    message: Listed,
    listing: { name: string; size: number; mtime: number },
    left: { name: string; size: number; mtime: number },
  ): Promise<void> {
    let raw: Buffer | undefined;
    try {
      raw = await onSession(`downloading message ${message.uid}`, async (c) => {
        const fetched = await c.fetchOne(
          String(message.uid),
          { uid: true, source: { maxLength: maxEmailBytes + 1 } },
          { uid: true },
        );
        return fetched === false ? undefined : fetched.source;
      });
    } catch (error) {
      report.files.push({
        name: messageName(message),
        size: message.size,
        status: "error",
        error: `${describe(message)} could not be downloaded: ${errorText(error)}`,
      });
      return;
    }
    // Gone since listed (another client moved or deleted it): nothing to do.
    if (raw === undefined) return;
    if (raw.length > maxEmailBytes) {
      report.files.push({
        name: messageName(message),
        size: raw.length,
        status: "error",
        error: `${describe(message)} is over the source's limit of ${maxEmailBytes} bytes: left in the mailbox.`,
      });
      return;
    }
    const sha256 = sha256Of(raw);
    let mail: ParsedMail;
    try {
      mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
    } catch (error) {
      // The same bytes will not parse next time either: reported once, left for a human.
      report.files.push({
        name: messageName(message),
        size: raw.length,
        status: "error",
        error: `${describe(message)} could not be read as an email (${errorText(error)}): left in the mailbox.`,
      });
      await recordTaken(deps.store, source, left, { sha256 });
      return;
    }
    const files: PolledFile[] = [];
    let taken = 0;
    let failed = false;
    let refused = 0;
    for (const attachment of mail.attachments) {
      const name = attachmentName(attachment.filename);
      if (name === undefined) {
        files.push(unsafeAttachment(message, attachment.filename, attachment.content.length));
        refused++;
        continue;
      }
      if (!matches(name)) {
        report.ignored++;
        continue;
      }
      const size = attachment.content.length;
      if (size > maxFileBytes) {
        files.push({
          name,
          size,
          status: "error",
          error: sourceFileTooLarge(name, size, maxFileBytes).message,
        });
        refused++;
        continue;
      }
      try {
        const { sha256: _, ...result } = await intake(
          deps,
          source,
          { name, bytes: attachment.content },
          { maxFileBytes },
        );
        files.push({ ...result, size });
        taken++;
      } catch (error) {
        // The pipeline failed: the message is not remembered, so the next poll tries it again
        // (what this one took is then a duplicate, not a second container).
        files.push({ name, size, status: "error", error: errorText(error) });
        failed = true;
      }
    }
    if (taken === 0 && refused === 0 && !failed) {
      files.push(nothingToTake(message, mail.attachments.length > 0));
    }
    report.files.push(...files);
    if (failed) return;
    if (taken === 0) {
      // Nothing taken: reported this once, and left as it is for a human.
      await recordTaken(deps.store, source, left, { sha256 });
      return;
    }
    await recordTaken(deps.store, source, listing, { sha256 });
    const error = await afterTaking(message.uid);
    if (error !== undefined) for (const file of files) if (file.error === undefined) file.error = error;
  }

  /** Keeps (marked \Seen), deletes or moves a message whose attachments were taken; a failure, in words. */
  async function afterTaking(uid: number): Promise<string | undefined> {
    const { after, archive } = settings;
    try {
      await onSession(`message ${uid}`, async (c) => {
        const range = String(uid);
        if (after === "keep") await c.messageFlagsAdd(range, ["\\Seen"], { uid: true });
        else if (after === "delete") {
          if (!(await c.messageDelete(range, { uid: true })))
            throw new Error("the server refused to delete it");
        } else if (after === "move" && archive !== undefined) {
          await ensureMailbox(c, archive);
          if ((await c.messageMove(range, archive, { uid: true })) === false) {
            throw new Error(`the server refused to move it to ${archive}`);
          }
        }
      });
      return undefined;
    } catch (error) {
      if (after === "keep") return undefined;
      return `taken, but not ${after === "move" ? "moved" : "deleted"}: ${errorText(error)}`;
    }
  }

  async function ensureMailbox(c: ImapFlow, path: string): Promise<void> {
    const known = await c.list();
    if (known.some((box) => box.path === path)) return;
    try {
      await c.mailboxCreate(path);
    } catch (error) {
      // Made meanwhile by another poll: fine.
      if ((error as ImapFlowError).serverResponseCode !== "ALREADYEXISTS") throw error;
    }
  }

  function nothingToTake(message: Listed, hadAttachments: boolean): PolledFile {
    const pattern = settings.pattern;
    return {
      name: messageName(message),
      size: message.size,
      status: "error",
      error:
        `${describe(message)} had no attachment` +
        (hadAttachments && pattern ? ` matching ${pattern}` : !hadAttachments ? "" : " to take") +
        ": left in the mailbox.",
    };
  }

  function messageName(message: Listed): string {
    return `${mailbox}/${message.uid}`;
  }
}

async function passwordOf(
  source: MailboxSource,
  readSecret: SecretReader | undefined,
): Promise<string | undefined> {
  const { passwordSecret } = source.settings;
  if (passwordSecret === undefined) return undefined;
  if (!readSecret) {
    throw masterKeyError(
      `Source ${source.name} needs its secrets, and no master key is loaded: set INFLOW_MASTER_KEY or give --master-key-file.`,
    );
  }
  return readSecret(source.tenantId, passwordSecret);
}

function toListed(message: FetchMessageObject): Listed {
  const envelope = message.envelope;
  const sender = envelope?.from?.[0] ?? envelope?.sender?.[0];
  const arrived = message.internalDate ? new Date(message.internalDate).getTime() : 0;
  return {
    uid: message.uid,
    size: message.size ?? 0,
    arrived: Number.isFinite(arrived) ? arrived : 0,
    subject: envelope?.subject ?? "",
    from: sender?.address ?? "an unknown sender",
    ...(message.bodyStructure ? { structure: message.bodyStructure } : {}),
  };
}

/** How a report names a message: its subject and sender. */
const describe = (message: Listed) => `Message ${JSON.stringify(message.subject)} from ${message.from}`;

const unsafeAttachment = (message: Listed, filename: string | undefined, size: number): PolledFile => ({
  name: filename ?? "",
  size,
  status: "error",
  error: `${describe(message)} has an attachment with an unsafe or missing name (${JSON.stringify(filename ?? "")}).`,
});

/**
 * The attachments a body structure shows, as mailparser would find them: parts with a file name,
 * or said to be attachments. Sizes are estimated from the encoded size (exact for base64 up to a
 * byte or two, the encoded size otherwise), near enough for `test`.
 */
function attachmentsOf(node: MessageStructureObject): { filename: string | undefined; size: number }[] {
  if (node.childNodes?.length) return node.childNodes.flatMap(attachmentsOf);
  const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
  if (filename === undefined && node.disposition !== "attachment") return [];
  const encoded = node.size ?? 0;
  // Base64 comes in lines of 76 characters and CRLF: 3 bytes for each 4 characters of the rest.
  const size =
    node.encoding?.toLowerCase() === "base64"
      ? Math.floor(((encoded - 2 * Math.floor(encoded / 78)) * 3) / 4)
      : encoded;
  return [{ filename, size }];
}

/** A refused login or a certificate this machine does not trust: trying again will not help. */
const isRefusal = (error: unknown): boolean =>
  (error as ImapFlowError)?.authenticationFailed === true || isUntrustedCertificate(error);

/** Why connecting failed, in words an operator acts on. */
function connectReason(error: unknown, timeoutSeconds: number): string {
  const imapError = error as ImapFlowError;
  if (imapError?.authenticationFailed) return `login refused (${serverSays(error)})`;
  const code = imapError?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ECONNRESET" || code === "EConnectionClosed" || code === "NoConnection")
    return "connection closed by the server";
  if (code !== undefined && TIMEOUT_CODES.has(code)) return `timed out after ${timeoutSeconds} s`;
  if (code !== undefined && TLS_TRUST_CODES.has(code))
    return `TLS certificate not trusted (${errorText(error)})`;
  if (imapError?.tlsFailed) return `TLS failed (${errorText(error)})`;
  return serverSays(error);
}

/** The server's own words for a failed command (`Authentication failed.`), else the error's message. */
function serverSays(error: unknown): string {
  const imapError = error as ImapFlowError;
  if (imapError?.responseText) {
    return imapError.serverResponseCode
      ? `${imapError.serverResponseCode}: ${imapError.responseText}`
      : imapError.responseText;
  }
  return errorText(error);
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function closeQuietly(client: ImapFlow | undefined): Promise<void> {
  if (!client) return;
  if (client.usable) {
    // LOGOUT politely, but not longer than a moment: a poll is not held up by a slow goodbye.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 5_000);
      }),
    ]);
    clearTimeout(timer);
  }
  client.close();
}
