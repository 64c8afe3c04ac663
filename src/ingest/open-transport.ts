import { invalidSource, masterKeyError } from "./errors.js";
import { createFolderTransport } from "./folder.js";
import { connectFtp } from "./ftp.js";
import type { SecretReader } from "./secrets.js";
import { connectSftp } from "./sftp.js";
import type { Credentials, Transport } from "./transport.js";
import type { PolledKind, Source } from "./types.js";

export type PolledSource = Extract<Source, { kind: PolledKind }>;

/**
 * Connects to a polled source: a folder needs nothing; a server is logged in to with the
 * credentials its settings name, read from the tenant's secrets only now and dropped with the
 * connection.
 */
export async function openTransport(source: Source, readSecret?: SecretReader): Promise<Transport> {
  switch (source.kind) {
    case "folder":
      return createFolderTransport(source.settings);
    case "ftp":
    case "ftps": {
      const credentials = await credentialsOf(source, readSecret);
      const tls = source.kind === "ftp" ? false : (source.settings.tls ?? "explicit");
      return connectFtp(source.settings, { tls, credentials });
    }
    case "sftp":
      return connectSftp(source.settings, await credentialsOf(source, readSecret));
    case "email":
      throw invalidSource(`Source ${source.name} takes email: it is not polled.`);
    case "imap":
      throw invalidSource(`Source ${source.name} is a mailbox: its messages are polled, not files.`);
  }
}

async function credentialsOf(
  source: Extract<Source, { kind: "ftp" | "ftps" | "sftp" }>,
  readSecret: SecretReader | undefined,
): Promise<Credentials> {
  const { passwordSecret } = source.settings;
  const privateKeySecret = source.kind === "sftp" ? source.settings.privateKeySecret : undefined;
  if (passwordSecret === undefined && privateKeySecret === undefined) return {};
  if (!readSecret) {
    throw masterKeyError(
      `Source ${source.name} needs its secrets, and no master key is loaded: set INFLOW_MASTER_KEY or give --master-key-file.`,
    );
  }
  return {
    ...(passwordSecret !== undefined ? { password: await readSecret(source.tenantId, passwordSecret) } : {}),
    ...(privateKeySecret !== undefined
      ? { privateKey: await readSecret(source.tenantId, privateKeySecret) }
      : {}),
  };
}
