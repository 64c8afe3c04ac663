import { describe, expect, it } from "vitest";
import { IngestError } from "../../src/ingest/errors.js";
import { checkSettings } from "../../src/ingest/settings.js";
import { DEFAULT_MAX_FILE_BYTES } from "../../src/invoices/types.js";

function refusal(kind: string, settings: Record<string, unknown>): string {
  try {
    checkSettings(kind as "folder", settings);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).name).toBe("InvalidSource");
    return (error as IngestError).message;
  }
  throw new Error(`expected ${JSON.stringify(settings)} to be refused`);
}

describe("source settings", () => {
  const sftp = { host: "sftp.acme.example", user: "inflow", passwordSecret: "acme/sftp" };

  it("keeps each kind's known fields with their defaults, and drops anything else", () => {
    expect(checkSettings("sftp", { ...sftp, port: 2222, password: "hunter2", extra: 1 })).toEqual({
      ...sftp,
      port: 2222,
      after: "keep",
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    });
    expect(
      checkSettings("ftps", {
        host: "10.0.0.5",
        user: "u",
        passwordSecret: "p",
        tls: "implicit",
        caFile: "/etc/ca.pem",
        directory: "outbox",
        after: "move",
        archive: "done",
        concurrency: 4,
        retries: 0,
        timeoutSeconds: 10,
      }),
    ).toMatchObject({
      tls: "implicit",
      caFile: "/etc/ca.pem",
      concurrency: 4,
      retries: 0,
      timeoutSeconds: 10,
    });
    expect(checkSettings("ftp", { host: "ftp.example", user: "anonymous" })).toMatchObject({
      user: "anonymous",
    });
    expect(checkSettings("email", { address: " AP@Acme.Example " })).toEqual({
      address: "ap@acme.example",
      maxEmailBytes: 64 * 1024 * 1024,
      after: "keep",
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    });
  });

  it("refuses what cannot work, naming the field and the flag to use", () => {
    expect(refusal("sftp", { user: "u", passwordSecret: "p" })).toMatch(/needs the server's host \(--host\)/);
    expect(refusal("sftp", { host: "h", passwordSecret: "p" })).toMatch(/needs the user.*\(--user\)/);
    expect(refusal("sftp", { host: "h", user: "u" })).toMatch(/--password-secret.*--private-key-secret/);
    expect(refusal("ftp", { host: "h", user: "u" })).toMatch(/--password-secret/);
    // A value where a secret's name belongs: refused, so a password is never stored in clear.
    expect(refusal("sftp", { ...sftp, passwordSecret: "correct horse battery staple!" })).toMatch(
      /must name a secret/,
    );
    expect(refusal("sftp", { ...sftp, host: "bad host\r\nQUIT" })).toMatch(/without control characters/);
    expect(refusal("sftp", { ...sftp, host: "bad host" })).toMatch(/The host "bad host" is not valid/);
    expect(refusal("sftp", { ...sftp, port: 70_000 })).toMatch(/port must be a whole number from 1 to 65535/);
    expect(refusal("sftp", { ...sftp, hostKey: "md5:aa:bb" })).toMatch(/host key/);
    expect(refusal("sftp", { ...sftp, concurrency: 0 })).toMatch(/concurrency must be .* from 1 to 16/);
    expect(refusal("sftp", { ...sftp, retries: 11 })).toMatch(/retries must be .* from 0 to 10/);
    expect(refusal("ftp", { host: "h", user: "u", passwordSecret: "p", tls: "implicit" })).toMatch(
      /--kind ftps/,
    );
    expect(refusal("ftps", { host: "h", user: "u", passwordSecret: "p", tls: "sometimes" })).toMatch(
      /TLS mode/,
    );
    expect(refusal("ftps", { host: "h", user: "u", passwordSecret: "p", caFile: "ca.pem" })).toMatch(
      /absolute path/,
    );
    expect(refusal("email", { address: "not an address" })).toMatch(/--address/);
    expect(refusal("email", { address: "a@b.example", after: "delete" })).toMatch(/after-action is keep/);
    expect(refusal("email", { address: "a@b.example", concurrency: 2 })).toMatch(/does not apply/);
    expect(refusal("folder", { path: "relative/dir" })).toMatch(/absolute path/);
    expect(refusal("folder", { path: "/in", after: "move" })).toMatch(/--archive/);
    expect(refusal("folder", { path: "/in", pattern: "a/b" })).toMatch(/no \//);
    expect(refusal("gopher", {})).toMatch(/Unknown kind "gopher": one of folder, ftp, ftps, sftp, email/);
  });
});
