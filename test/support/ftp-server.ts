import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FtpSrv } from "ftp-srv";
import { writeSelfSignedCertificate } from "./certificate.js";

/**
 * A real FTP server (ftp-srv) on 127.0.0.1 for tests: one user, a temporary root directory, and
 * optionally TLS, explicit (AUTH TLS on the control port) or implicit (TLS from the first byte),
 * with a self-signed certificate for 127.0.0.1 and localhost that clients trust through `caFile`.
 */
export interface TestFtpServer {
  host: string;
  port: number;
  /** The directory the user sees as `/`; files written here are listed by the server. */
  root: string;
  /** The self-signed certificate (PEM) the server presents; undefined without TLS. */
  caFile: string | undefined;
  user: string;
  password: string;
  close(): Promise<void>;
}

export interface TestFtpServerOptions {
  tls?: false | "explicit" | "implicit";
  user?: string;
  password?: string;
  /** Serve this directory (left in place on close) instead of a new temporary one (removed on close). */
  root?: string;
}

// ftp-srv logs through bunyan to stdout by default; tests want silence. This is the part of
// bunyan's API it calls (connections call `child`).
const quietLog = {
  child: () => quietLog,
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
};

let certificate: Promise<{ dir: string; certFile: string; keyFile: string }> | undefined;

/** One self-signed certificate per test process: generating a key takes a moment, and nothing depends on it being fresh. */
function selfSignedCertificate() {
  certificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "inflow-ftp-cert-"));
    // The directory is left for the OS's temp cleanup: other servers of this process may still use it.
    return { dir, ...(await writeSelfSignedCertificate(dir)) };
  })();
  return certificate;
}

const SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT"] as const;

/** Starts ftp-srv on a free port of 127.0.0.1. Close it after use (it holds the port and a temp dir). */
export async function startFtpServer(options: TestFtpServerOptions = {}): Promise<TestFtpServer> {
  const user = options.user ?? "inflow";
  const password = options.password ?? "s3cret-Pa55";
  const tls = options.tls ?? false;
  const ownRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), "inflow-ftp-root-")));
  await mkdir(root, { recursive: true });

  let caFile: string | undefined;
  let tlsOptions: { cert: Buffer; key: Buffer } | false = false;
  if (tls) {
    const { certFile, keyFile } = await selfSignedCertificate();
    tlsOptions = { cert: await readFile(certFile), key: await readFile(keyFile) };
    caFile = certFile;
  }

  // Passive data ports: a random window per server, so servers of parallel test files rarely
  // meet (ftp-srv tries the next port in its window when one is taken).
  const pasvMin = 30_000 + Math.floor(Math.random() * 25_000);

  // ftp-srv adds SIGTERM/SIGINT/SIGQUIT handlers that close it and call process.exit(0): not
  // something a test process should get. They are removed again right after construction.
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const server = new FtpSrv({
    // Port 0: the OS picks a free one, read back below. `ftps:` makes ftp-srv speak TLS from the
    // start (implicit); with `ftp:` and `tls` set it offers AUTH TLS (explicit).
    url: `${tls === "implicit" ? "ftps" : "ftp"}://127.0.0.1:0`,
    pasv_url: "127.0.0.1",
    pasv_min: pasvMin,
    pasv_max: pasvMin + 200,
    tls: tlsOptions,
    anonymous: false,
    log: quietLog,
  });
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }

  server.on("login", ({ username, password: given }, resolve, reject) => {
    if (username === user && given === password) resolve({ root });
    else reject(new Error("Invalid username or password"));
  });
  // A client dropping a connection mid-transfer (as a refused, too large download does) is
  // reported here; without a listener it would be an unhandled 'error'-like event in the logs only.
  server.on("client-error", () => {});

  await server.listen();
  // The underlying net/tls server is not in ftp-srv's typings.
  const address = (server as unknown as { server: Server }).server.address();
  if (address === null || typeof address === "string") throw new Error("ftp-srv has no TCP address");

  return {
    host: "127.0.0.1",
    port: address.port,
    root,
    caFile,
    user,
    password,
    async close() {
      await server.close();
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
