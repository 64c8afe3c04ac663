/**
 * What the invoices domain refuses, as typed values: `name` is the stable code the HTTP API
 * answers with (`{"error": {"code": name, "message"}}`) and `status` its HTTP status.
 */
export class InvoicesError extends Error {
  override readonly name: string;
  readonly status: number;

  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

export const containerNotFound = (id: string) =>
  new InvoicesError("ContainerNotFound", `No container ${id}.`, 404);

export const invoiceNotFound = (id: string) => new InvoicesError("InvoiceNotFound", `No invoice ${id}.`, 404);

export const tenantNotFound = (id: string) => new InvoicesError("TenantNotFound", `No tenant ${id}.`, 404);

export const parsedInvoiceNotFound = (containerId: string, key: number) =>
  new InvoicesError(
    "ParsedInvoiceNotFound",
    `Container ${containerId} has no parsed invoice with key ${key}.`,
    404,
  );

export const invalidContainerState = (id: string, from: string, to: string) =>
  new InvoicesError("InvalidContainerState", `Container ${id} is ${from} and cannot become ${to}.`, 409);

export const notRedrivable = (id: string, why: string) =>
  new InvoicesError("NotRedrivable", `Container ${id} cannot be redriven: ${why}`, 409);

export const emptyFile = () => new InvoicesError("EmptyFile", "The file is empty.", 400);

export const fileTooLarge = (limit: number) =>
  new InvoicesError("FileTooLarge", `The file exceeds the limit of ${limit} bytes.`, 413);

export const invalidFileName = (name: string | undefined) =>
  new InvoicesError(
    "InvalidFileName",
    name === undefined || name === ""
      ? "A file name is required (?name=NAME)."
      : `Invalid file name ${JSON.stringify(name)}: no path separators, control characters or "." / "..", at most 255 characters.`,
    400,
  );

export const invalidTenant = (id: string) =>
  new InvoicesError(
    "InvalidTenant",
    `Invalid tenant id ${JSON.stringify(id)}: 1 to 64 letters, digits, "-" and "_".`,
    400,
  );
