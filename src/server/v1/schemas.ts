import { CONTAINER_SOURCES, CONTAINER_STATES } from "../../invoices/types.js";

/**
 * The JSON schemas of the `/v1` routes: Fastify validates requests and serializes answers with
 * them, and the OpenAPI document is made of them, so the document cannot drift from the code.
 */

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
} as const;

const time = { type: "string", format: "date-time" } as const;
const anyObject = { type: "object", additionalProperties: true } as const;

export const containerSummarySchema = {
  type: "object",
  required: [
    "id",
    "tenantId",
    "name",
    "state",
    "invoiceCount",
    "parsedCount",
    "size",
    "sha256",
    "source",
    "receivedAt",
    "reprocessCount",
  ],
  properties: {
    id: { type: "string" },
    tenantId: { type: "string" },
    name: { type: "string", description: "The file name as given." },
    state: { type: "string", enum: [...CONTAINER_STATES] },
    invoiceCount: { type: "integer", description: "Invoices created from it." },
    parsedCount: { type: ["integer", "null"], description: "Invoices parsed from it; null until parsed." },
    error: { type: "string", description: "Why it is in Error." },
    executionArn: { type: "string", description: "Its current digitize execution." },
    size: { type: "integer" },
    sha256: { type: "string" },
    source: { type: "string", enum: [...CONTAINER_SOURCES] },
    receivedAt: time,
    supplierId: { type: "string", description: "The supplier of its first invoice." },
    reprocessCount: { type: "integer" },
  },
} as const;

export const containerDetailSchema = {
  ...containerSummarySchema,
  required: [...containerSummarySchema.required, "transitions", "warnings"],
  properties: {
    ...containerSummarySchema.properties,
    transitions: {
      type: "array",
      items: {
        type: "object",
        required: ["state", "at"],
        properties: { state: { type: "string" }, at: time, reason: { type: "string" } },
      },
    },
    warnings: { type: "array", items: anyObject, description: "The parser's warnings (at most 100)." },
  },
} as const;

const checksSchema = {
  type: "object",
  required: ["supplier", "totals", "duplicate"],
  properties: {
    supplier: { type: "string", enum: ["matched", "created"] },
    totals: { type: "string", description: '"ok" or "mismatch: stated X, computed Y"' },
    duplicate: { type: "boolean" },
  },
} as const;

export const invoiceSummarySchema = {
  type: "object",
  required: [
    "id",
    "tenantId",
    "number",
    "total",
    "type",
    "supplierId",
    "supplier",
    "containerId",
    "file",
    "key",
    "createdAt",
  ],
  properties: {
    id: { type: "string" },
    tenantId: { type: "string" },
    number: { type: "string" },
    date: { type: "string", description: "YYYY-MM-DD" },
    total: { type: "string", description: "A decimal string." },
    currency: { type: "string" },
    type: { type: "string" },
    supplierId: { type: "string" },
    supplier: { type: "string", description: "The supplier's name." },
    containerId: { type: "string" },
    file: { type: "string", description: "The container's file name." },
    key: { type: "integer", description: "Its position in the file, 1..n." },
    duplicateOf: { type: "string", description: "The first invoice it duplicates." },
    checks: checksSchema,
    createdAt: time,
  },
} as const;

export const invoiceDetailSchema = {
  ...invoiceSummarySchema,
  required: [...invoiceSummarySchema.required, "invoice"],
  properties: {
    ...invoiceSummarySchema.properties,
    invoice: { ...anyObject, description: "The normalized invoice (docs/invoice-model.md)." },
  },
} as const;

export const supplierSchema = {
  type: "object",
  required: ["id", "tenantId", "name", "matchKey", "createdAt"],
  properties: {
    id: { type: "string" },
    tenantId: { type: "string" },
    name: { type: "string" },
    matchKey: { type: "string", description: "edi:<qualifier>:<id>, id:<qualifier>:<id> or name:<name>" },
    createdAt: time,
  },
} as const;

export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", maxLength: 100 } },
} as const;

export const pagingQuery = {
  limit: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  cursor: { type: "string", maxLength: 100, description: "A page's nextCursor." },
} as const;

/** Times in queries: ISO 8601 or epoch milliseconds. */
export const timeQuery = {
  type: "string",
  maxLength: 40,
  description: "ISO 8601 or epoch milliseconds",
} as const;

/** Every route answers its failures in one shape. */
export const errorResponses = { "4xx": errorSchema, "5xx": errorSchema } as const;

/** A route that answers with a file's bytes, as the OpenAPI document describes it. */
export const fileResponse = {
  openapi: {
    responses: {
      200: {
        description: "The file.",
        content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
      },
    },
  },
};

/** An execution as the dashboard lists it (a container's, an iteration, any state machine's). */
export const executionSchema = {
  type: "object",
  required: ["executionArn", "stateMachineArn", "name", "status", "startDate", "redriveCount"],
  properties: {
    executionArn: { type: "string" },
    stateMachineArn: { type: "string" },
    name: { type: "string" },
    status: { type: "string" },
    startDate: { type: "string", format: "date-time" },
    stopDate: { type: "string", format: "date-time" },
    error: { type: "string" },
    cause: { type: "string" },
    redriveCount: { type: "integer" },
  },
} as const;
