/**
 * Invoices: the domain the digitize pipeline works for.
 *
 * Glossary
 * - Tenant: a customer whose data no other tenant sees. `default` always exists; the server
 *   answers for it alone when no API key is configured.
 * - API key: a tenant's Bearer secret; only its SHA-256 hash is stored. The service key is the
 *   pipeline functions' secret: it sees every tenant and alone may call `/v1/pipeline/*`.
 * - File: raw bytes as received, stored once per SHA-256 (content-addressed), in the database so
 *   that every worker on every machine can read them.
 * - Container: one received file on its way through the pipeline, with its lifecycle state, the
 *   time of every transition, its current execution, and its parsed and created counts.
 * - Parsed invoice: a normalized invoice staged under its container and key (1..n in file
 *   order) by ParseFile; the workflow then passes keys, never invoices.
 * - Invoice: created from a parsed invoice, at most once per (container, key).
 * - Supplier: who sent an invoice, per tenant, matched by EDI sender id or by the supplier
 *   party's id or name, created the first time it is seen.
 * - Duplicate: an invoice with the same supplier, number, date and total as an earlier one (from
 *   any container); flagged and linked to the first, never dropped.
 * - Checks: what post-creation checking found: supplier matched or created, totals, duplicate.
 */

import type { Invoice } from "../formats/invoice.js";

export const DEFAULT_TENANT = "default";

/**
 * Container lifecycle: `New -> Processing -> Done | Error`. Error -> Processing is a redrive;
 * Error -> Done a redriven execution verified before its RUNNING status event was seen; Done and
 * Error -> New a reprocess (a new execution from the start).
 */
export const CONTAINER_STATES = Object.freeze(["New", "Processing", "Done", "Error"] as const);
export type ContainerState = (typeof CONTAINER_STATES)[number];

export const CONTAINER_TRANSITIONS: Readonly<Record<ContainerState, readonly ContainerState[]>> =
  Object.freeze({
    New: Object.freeze(["Processing", "Error"] as const),
    Processing: Object.freeze(["Done", "Error"] as const),
    Done: Object.freeze(["New"] as const),
    Error: Object.freeze(["Processing", "Done", "New"] as const),
  });

export const canTransition = (from: ContainerState, to: ContainerState): boolean =>
  CONTAINER_TRANSITIONS[from].includes(to);

export const CONTAINER_SOURCES = Object.freeze([
  "upload",
  "api",
  "ftp",
  "sftp",
  "email",
  "folder",
  "cli",
  "demo",
] as const);
export type ContainerSource = (typeof CONTAINER_SOURCES)[number];

/** The parser's non-fatal diagnostics kept on a container, at most this many. */
export const MAX_WARNINGS = 100;

/** The largest file that becomes a container unless a deployment says otherwise (upload, source, CLI). */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface Transition {
  state: ContainerState;
  at: number;
  reason?: string;
}

export interface Container {
  id: string;
  tenantId: string;
  name: string;
  size: number;
  sha256: string;
  source: ContainerSource;
  receivedAt: number;
  state: ContainerState;
  /** Why it is in Error; undefined otherwise. */
  error?: string;
  executionArn?: string;
  /** How many times it was reprocessed: its current execution is named `<id>-r<n>` after the first. */
  reprocessCount: number;
  /** The supplier of its first invoice. */
  supplierId?: string;
  /** Undefined until parsed. */
  parsedCount?: number;
  createdCount: number;
  warnings: unknown[];
}

export type SupplierMatch = "matched" | "created";

export interface InvoiceChecks {
  supplier: SupplierMatch;
  /** `ok`, or `mismatch: stated X, computed Y`. */
  totals: string;
  duplicate: boolean;
}

export interface InvoiceRecord {
  id: string;
  tenantId: string;
  supplierId: string;
  supplierName: string;
  containerId: string;
  /** The name of the container's file. */
  fileName: string;
  key: number;
  number: string;
  date?: string;
  total: string;
  currency?: string;
  type: string;
  duplicateOf?: string;
  /** Undefined until post-creation checks ran. */
  checks?: InvoiceChecks;
  createdAt: number;
}

export interface InvoiceDetail extends InvoiceRecord {
  invoice: Invoice;
}

export interface Supplier {
  id: string;
  tenantId: string;
  name: string;
  /** What invoices are matched by: `edi:<qualifier>:<id>`, `id:<qualifier>:<id>` or `name:<name>`. */
  matchKey: string;
  createdAt: number;
}

/** A page of a keyset-paged listing: `next` is the `seq` to continue before, when there is more. */
export interface Page<T> {
  items: T[];
  next?: number;
}
