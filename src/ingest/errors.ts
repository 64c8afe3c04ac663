/**
 * What ingestion refuses, as typed values in the shape of the invoices domain's errors: `name` is
 * the stable code an HTTP API answers with and `status` its HTTP status.
 *
 * No message here ever carries a secret's value or the master key: callers pass names, paths and
 * sizes only.
 */
export class IngestError extends Error {
  override readonly name: string;
  readonly status: number;

  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

export const invalidSecretName = (name: string) =>
  new IngestError(
    "InvalidSecretName",
    // The name is shown as JSON so control characters in a wrong one stay visible and harmless.
    `Invalid secret name ${JSON.stringify(name.length > 160 ? `${name.slice(0, 160)}…` : name)}: use 1 to 128 of A-Za-z0-9_.-/.`,
    400,
  );

export const invalidSecretValue = (name: string, why: string) =>
  new IngestError("InvalidSecretValue", `Secret ${name} not stored: ${why}`, 400);

export const secretNotFound = (tenantId: string, name: string) =>
  new IngestError(
    "SecretNotFound",
    `Tenant ${tenantId} has no secret ${name}: store it with \`inflow secrets set ${name} --tenant ${tenantId}\`.`,
    404,
  );

export const secretWrongMasterKey = (name: string, storedKeyId: string, loadedKeyId: string) =>
  new IngestError(
    "SecretWrongMasterKey",
    `Secret ${name} was encrypted under master key ${storedKeyId}, but the master key loaded is ${loadedKeyId}: ` +
      "use the master key it was stored with (INFLOW_MASTER_KEY or the key file), or set the secret again.",
    500,
  );

export const secretUndecryptable = (name: string, why: string) =>
  new IngestError("SecretUndecryptable", `Secret ${name} cannot be decrypted: ${why}`, 500);

export const masterKeyError = (message: string) => new IngestError("MasterKeyError", message, 500);

export const invalidSource = (message: string) => new IngestError("InvalidSource", message, 400);
export const sourceNotFound = (tenantId: string, name: string) =>
  new IngestError("SourceNotFound", `No source ${name} for tenant ${tenantId}.`, 404);
export const sourceExists = (tenantId: string, name: string) =>
  new IngestError("SourceExists", `Tenant ${tenantId} already has a source ${name}.`, 409);
export const tenantKeyRequired = () =>
  new IngestError("TenantKeyRequired", "Sources belong to a tenant: call with a tenant's API key.", 403);
export const emailAddressTaken = (address: string) =>
  new IngestError("EmailAddressTaken", `Another source already takes mail for ${address}.`, 409);
export const unsafeFileName = (name: string) =>
  new IngestError(
    "UnsafeFileName",
    // As JSON, so control characters in the name stay visible and harmless in a log or a table.
    `Refused the file name ${JSON.stringify(name)}: it could escape its directory or is not a plain file name.`,
    400,
  );
export const sourceFileTooLarge = (name: string, size: number, limit: number) =>
  new IngestError(
    "FileTooLarge",
    `${name}: ${size} bytes exceeds the source's limit of ${limit} bytes.`,
    413,
  );
