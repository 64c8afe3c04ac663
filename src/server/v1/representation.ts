import { InvoicesError } from "../../invoices/errors.js";
import type { Container, InvoiceDetail, InvoiceRecord, Supplier, Transition } from "../../invoices/types.js";
import type { ExecutionDescription } from "../../states/executions.js";

/** How the domain's records look on the wire: times as ISO 8601, counts named for the reader. */

const iso = (millis: number) => new Date(millis).toISOString();

export function containerJson(container: Container) {
  return {
    id: container.id,
    tenantId: container.tenantId,
    name: container.name,
    state: container.state,
    invoiceCount: container.createdCount,
    parsedCount: container.parsedCount ?? null,
    ...(container.error !== undefined ? { error: container.error } : {}),
    ...(container.executionArn !== undefined ? { executionArn: container.executionArn } : {}),
    size: container.size,
    sha256: container.sha256,
    source: container.source,
    receivedAt: iso(container.receivedAt),
    ...(container.supplierId !== undefined ? { supplierId: container.supplierId } : {}),
    reprocessCount: container.reprocessCount,
  };
}

export function containerDetailJson(container: Container, transitions: Transition[]) {
  return {
    ...containerJson(container),
    transitions: transitions.map((t) => ({
      state: t.state,
      at: iso(t.at),
      ...(t.reason !== undefined ? { reason: t.reason } : {}),
    })),
    warnings: container.warnings,
  };
}

export function invoiceJson(invoice: InvoiceRecord) {
  return {
    id: invoice.id,
    tenantId: invoice.tenantId,
    number: invoice.number,
    ...(invoice.date !== undefined ? { date: invoice.date } : {}),
    total: invoice.total,
    ...(invoice.currency !== undefined ? { currency: invoice.currency } : {}),
    type: invoice.type,
    supplierId: invoice.supplierId,
    supplier: invoice.supplierName,
    containerId: invoice.containerId,
    file: invoice.fileName,
    key: invoice.key,
    ...(invoice.duplicateOf !== undefined ? { duplicateOf: invoice.duplicateOf } : {}),
    ...(invoice.checks !== undefined ? { checks: invoice.checks } : {}),
    createdAt: iso(invoice.createdAt),
  };
}

export const invoiceDetailJson = (invoice: InvoiceDetail) => ({
  ...invoiceJson(invoice),
  invoice: invoice.invoice,
});

export const supplierJson = (supplier: Supplier) => ({
  id: supplier.id,
  tenantId: supplier.tenantId,
  name: supplier.name,
  matchKey: supplier.matchKey,
  createdAt: iso(supplier.createdAt),
});

const badRequest = (code: string, message: string) => new InvoicesError(code, message, 400);

/** A page's position as an opaque cursor: clients pass it back, never build one. */
export const cursorOf = (next: number | undefined) =>
  next === undefined ? {} : { nextCursor: Buffer.from(`s${next}`).toString("base64url") };

export function positionOf(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!match) throw badRequest("InvalidCursor", "The cursor is not one this API handed out.");
  return Number(match[1]);
}

/** A time given as ISO 8601 or epoch milliseconds, as epoch milliseconds. */
export function timeOf(text: string | undefined, parameter: string): number | undefined {
  if (text === undefined || text === "") return undefined;
  const millis = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(millis)) {
    throw badRequest(
      "InvalidTime",
      `${parameter}: ${JSON.stringify(text)} is neither ISO 8601 nor epoch milliseconds.`,
    );
  }
  return millis;
}

/** A day (invoice dates are days) from `YYYY-MM-DD`, an ISO time or epoch milliseconds, as `YYYY-MM-DD` (UTC). */
export function dayOf(text: string | undefined, parameter: string): string | undefined {
  if (text === undefined || text === "") return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  return iso(timeOf(text, parameter)!).slice(0, 10);
}

export const executionJson = (execution: ExecutionDescription) => ({
  executionArn: execution.executionArn,
  stateMachineArn: execution.stateMachineArn,
  name: execution.name,
  status: execution.status,
  startDate: iso(execution.startDate),
  ...(execution.stopDate !== undefined ? { stopDate: iso(execution.stopDate) } : {}),
  ...(execution.error !== undefined ? { error: execution.error } : {}),
  ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
  redriveCount: execution.redriveCount,
});
