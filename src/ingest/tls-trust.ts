import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";

/**
 * What the TLS sources (ftps, imap) share: which of Node's certificate verdicts mean "this machine
 * does not trust the server" (trying again will not help), and the CAs a source trusts.
 */
export const TLS_TRUST_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export const isUntrustedCertificate = (error: unknown): boolean =>
  TLS_TRUST_CODES.has((error as NodeJS.ErrnoException)?.code ?? "");

/**
 * The system's CAs, and the source's own CA file when it names one (a supplier's own or
 * self-signed certificate): trusted besides the system's, not instead of them. A file that cannot
 * be read is `fail`ed with the reason.
 */
export async function trustedCas(
  caFile: string | undefined,
  fail: (reason: string) => Error,
): Promise<string[]> {
  if (caFile === undefined) return [...rootCertificates];
  try {
    return [...rootCertificates, await readFile(caFile, "utf8")];
  } catch (error) {
    throw fail(
      `cannot read the CA file ${caFile} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

/** A message with a credential cut out, should a server echo it back. */
export const redact = (message: string, secret: string | undefined): string =>
  secret ? message.split(secret).join("[redacted]") : message;
