import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import { writeSelfSignedCertificate } from "./certificate.js";

const DOVECOT = "/usr/sbin/dovecot";

export interface ImapServerOptions {
  user?: string;
  password?: string;
  /** Also listen for implicit TLS (imaps) with a self-signed certificate for 127.0.0.1; default true. */
  tls?: boolean;
}

/** A message in a mailbox, as `list` answers it. */
export interface ListedMessage {
  uid: number;
  subject: string;
  flags: string[];
  size: number;
}

export interface TestImapServer {
  host: string;
  /** Plain IMAP (STARTTLS offered when TLS is on). */
  port: number;
  /** Implicit TLS (imaps), when started with TLS. */
  tlsPort?: number;
  /** The PEM of the self-signed certificate the server shows, when started with TLS. */
  caFile?: string;
  user: string;
  password: string;
  /** Changes the user's password; the next login checks the new one. */
  setPassword(password: string): void;
  /** Appends a message to a mailbox (created when missing). */
  append(mailbox: string, raw: Buffer | string): Promise<void>;
  /** The messages in a mailbox, by UID; none when it does not exist. */
  list(mailbox: string): Promise<ListedMessage[]>;
  /** Dovecot's log so far (for a failing test's message). */
  log(): string;
  /** Stops dovecot and removes its directory. */
  close(): Promise<void>;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

/** A free TCP port on 127.0.0.1 (free now: dovecot binds it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, "127.0.0.1", () => done(true));
  });

/** The uid and gid of a system user (from /etc/passwd), or undefined when there is none. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A real Dovecot IMAP server on 127.0.0.1 for one test file: a temp directory holds its
 * configuration, runtime directory, log, TLS key and certificate, a passwd-file with one user,
 * and the user's Maildir. Dovecot runs in the foreground (`dovecot -F`) as a child process.
 *
 * Dovecot refuses to deliver mail as root, so mail belongs to the `dovecot` system user (when the
 * tests run as root) or to whoever runs them. The login penalty (a growing delay after failed
 * logins from one address) is turned off so a wrong-password test costs no seconds.
 */
export async function startImapServer(options: ImapServerOptions = {}): Promise<TestImapServer> {
  if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is not installed (apt-get install dovecot-imapd).`);
  const user = options.user ?? "inflow";
  let password = options.password ?? "secret";
  const tls = options.tls !== false;
  const dir = mkdtempSync(join(tmpdir(), "inflow-imap-"));
  // Dovecot's unprivileged processes (imap as the mail user, imap-login as dovenull) walk into it.
  chmodSync(dir, 0o755);
  const me = userInfo();
  const owner = me.uid === 0 ? systemUser("dovecot") : { uid: me.uid, gid: me.gid };
  if (!owner) throw new Error("Running as root, but there is no `dovecot` system user to own the mail.");
  const mailDir = join(dir, "mail");
  mkdirSync(mailDir);
  if (me.uid === 0) chownSync(mailDir, owner.uid, owner.gid);

  // Users (uid, gid, home) in a passwd-file; the password is checked by a script reading it from
  // its own file at each login. (Dovecot's passwd-file passdb looks at its file at most once a
  // second, so a password changed just after a login would go unseen by the next one.)
  const usersFile = join(dir, "users");
  writeFileSync(usersFile, `${user}::${owner.uid}:${owner.gid}::${join(mailDir, user)}\n`);
  const passwordFile = join(dir, "password");
  const writePassword = () => writeFileSync(passwordFile, password, { mode: 0o644 });
  writePassword();
  const checkScript = join(dir, "checkpassword.sh");
  writeFileSync(
    checkScript,
    [
      "#!/bin/bash",
      // The checkpassword protocol: user, password and more, each ended by NUL, on fd 3.
      "IFS= read -r -d '' user <&3",
      "IFS= read -r -d '' pass <&3",
      `if [ "$user" = ${shellQuote(user)} ] && [ "$pass" = "$(cat ${shellQuote(passwordFile)})" ]; then exec "$@"; fi`,
      "exit 1",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );

  const port = await freePort();
  let tlsPort: number | undefined;
  let caFile: string | undefined;
  const { certFile, keyFile } = tls ? await writeSelfSignedCertificate(dir) : { certFile: "", keyFile: "" };
  if (tls) {
    tlsPort = await freePort();
    caFile = certFile;
  }
  const logFile = join(dir, "dovecot.log");
  const config = join(dir, "dovecot.conf");
  writeFileSync(
    config,
    [
      "protocols = imap",
      "listen = 127.0.0.1",
      `base_dir = ${join(dir, "run")}`,
      `state_dir = ${join(dir, "state")}`,
      `instance_name = inflow-test-${port}`,
      `log_path = ${logFile}`,
      `info_log_path = ${logFile}`,
      "first_valid_uid = 1",
      "first_valid_gid = 1",
      "auth_failure_delay = 0",
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain login",
      `mail_location = maildir:${mailDir}/%u/Maildir`,
      ...(tls ? ["ssl = yes", `ssl_cert = <${certFile}`, `ssl_key = <${keyFile}`] : ["ssl = no"]),
      "passdb {",
      "  driver = checkpassword",
      `  args = ${checkScript}`,
      "}",
      "userdb {",
      "  driver = passwd-file",
      `  args = ${usersFile}`,
      "}",
      "service imap-login {",
      "  chroot =",
      "  inet_listener imap {",
      "    address = 127.0.0.1",
      `    port = ${port}`,
      "  }",
      "  inet_listener imaps {",
      "    address = 127.0.0.1",
      `    port = ${tlsPort ?? 0}`,
      ...(tls ? ["    ssl = yes"] : []),
      "  }",
      "}",
      // Without the penalty socket the auth process adds no delay after failed logins.
      "service anvil {",
      "  chroot =",
      "  unix_listener anvil-auth-penalty {",
      "    mode = 0",
      "  }",
      "}",
      "",
    ].join("\n"),
  );

  const child: ChildProcess = spawn(DOVECOT, ["-F", "-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // A test process that ends without closing (a crash, a timeout) leaves no dovecot behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");

  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`dovecot exited (${child.exitCode ?? child.signalCode}): ${stderr}\n${log()}`);
      }
      if ((await accepts(port)) && (tlsPort === undefined || (await accepts(tlsPort)))) break;
      if (i >= 100) throw new Error(`dovecot did not listen on 127.0.0.1:${port}: ${stderr}\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  /** Runs `work` logged in over plain IMAP. */
  async function session<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  return {
    host: "127.0.0.1",
    port,
    ...(tlsPort !== undefined ? { tlsPort } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    user,
    get password() {
      return password;
    },
    setPassword(next: string) {
      password = next;
      writePassword();
    },
    append: (mailbox, raw) =>
      session(async (client) => {
        if (mailbox.toUpperCase() !== "INBOX") {
          await client.mailboxCreate(mailbox).catch(() => undefined);
        }
        const appended = await client.append(mailbox, typeof raw === "string" ? Buffer.from(raw) : raw);
        if (appended === false) throw new Error(`could not append to ${mailbox}`);
      }),
    list: (mailbox) =>
      session(async (client) => {
        const status = await client.status(mailbox, { messages: true }).catch(() => false as const);
        if (status === false || !status.messages) return [];
        await client.mailboxOpen(mailbox, { readOnly: true });
        const messages = await client.fetchAll("1:*", { uid: true, envelope: true, flags: true, size: true });
        return messages
          .map((message) => ({
            uid: message.uid,
            subject: message.envelope?.subject ?? "",
            // \\Recent says only that this session is the first to see it.
            flags: [...(message.flags ?? [])].filter((flag) => flag !== "\\Recent").sort(),
            size: message.size ?? 0,
          }))
          .sort((a, b) => a.uid - b.uid);
      }),
    log,
    close: stop,
  };
}
