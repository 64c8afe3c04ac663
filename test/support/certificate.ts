import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A self-signed certificate for the TLS servers tests start (ftps, imaps), written as `cert.pem`
 * and `key.pem` into `dir`; clients trust it through the certificate file as their CA. EC keys
 * because they are quick to make. The subject alternative names are what a client checks the
 * host it dialled against (an IP needs an `IP:` entry).
 */
export async function writeSelfSignedCertificate(
  dir: string,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  return { certFile, keyFile };
}
