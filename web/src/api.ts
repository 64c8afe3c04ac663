/** The `/v1` API the dashboard reads (docs/api.md), typed. Keyless: the dashboard relies on loopback access. */

export const CONTAINER_STATES = ["New", "Processing", "Done", "Error"] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

export interface Container {
  id: string;
  tenantId: string;
  name: string;
  state: ContainerState;
  error?: string;
  invoiceCount: number;
  parsedCount: number | null;
  size: number;
  sha256: string;
  source: string;
  receivedAt: string;
  supplierId?: string;
  executionArn?: string;
  reprocessCount: number;
}

export interface Transition {
  state: ContainerState;
  at: string;
  reason?: string;
}

export interface Warning {
  code: string;
  severity: string;
  message: string;
}

export interface ContainerDetail extends Container {
  transitions: Transition[];
  warnings: Warning[];
}

export interface Invoice {
  id: string;
  number: string;
  type: "invoice" | "creditMemo";
  date?: string;
  total: string;
  currency?: string;
  supplierId: string;
  supplier: string;
  containerId: string;
  file: string;
  key: number;
  duplicateOf?: string;
  checks?: { supplier: string; totals: string; duplicate: boolean };
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export type ExecutionStatus =
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMED_OUT"
  | "ABORTED"
  | "PENDING_REDRIVE";
export type StateStatus = "succeeded" | "failed" | "running" | "caught" | "notReached";

export interface StateRun {
  status: StateStatus;
  enteredAt?: string;
  exitedAt?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  iterations?: { total: number; succeeded: number; failed: number; running: number };
}

/** An Amazon States Language definition, as far as the graph reads it. */
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition & { ProcessorConfig?: { Mode?: string } };
  Iterator?: AslDefinition;
  Comment?: string;
}

export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

export interface ContainerExecution {
  /** The container's execution, or an iteration of its distributed Map (`?iteration=`). */
  execution: ExecutionSummary;
  definition: AslDefinition;
  states: Record<string, StateRun>;
}

export interface HistoryEvent {
  id: number | string;
  type: string;
  timestamp: string;
  stateName?: string;
  details?: unknown;
}

/** A failed call: the API's `{error: {code, message}}`, or what the server answered instead. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Query = Record<string, string | number | boolean | undefined>;

function pathOf(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(
  method: "GET" | "POST",
  path: string,
  signal?: AbortSignal,
  json?: unknown,
): Promise<T> {
  const response = await fetch(path, {
    method,
    signal: signal ?? null,
    headers:
      json === undefined
        ? { accept: "application/json" }
        : { accept: "application/json", "content-type": "application/json" },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP${response.status}`,
      error?.message ?? (text.slice(0, 200) || response.statusText),
    );
  }
  return body as T;
}

/** Where a container's file came from (`GET /v1/containers?source=`). */
export const CONTAINER_SOURCES = ["upload", "api", "ftp", "sftp", "email", "folder", "cli", "demo"] as const;
export type ContainerSource = (typeof CONTAINER_SOURCES)[number];

export interface ContainerFilter {
  state?: ContainerState | undefined;
  q?: string | undefined;
  source?: ContainerSource | undefined;
  /** An exact invoice number: the containers holding such an invoice. */
  invoice?: string | undefined;
  supplier?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export async function listContainers(
  filter: ContainerFilter & { limit?: number; cursor?: string | undefined },
  signal?: AbortSignal,
): Promise<Page<Container>> {
  const body = await call<{ containers: Container[]; nextCursor?: string }>(
    "GET",
    pathOf("/v1/containers", { ...filter }),
    signal,
  );
  return { items: body.containers, ...(body.nextCursor ? { nextCursor: body.nextCursor } : {}) };
}

export const getContainer = (id: string, signal?: AbortSignal) =>
  call<ContainerDetail>("GET", `/v1/containers/${encodeURIComponent(id)}`, signal);

export const fileUrl = (id: string) => `/v1/containers/${encodeURIComponent(id)}/file`;

export async function listInvoices(
  filter: { container?: string; limit?: number; cursor?: string | undefined },
  signal?: AbortSignal,
): Promise<Page<Invoice>> {
  const body = await call<{ invoices: Invoice[]; nextCursor?: string }>(
    "GET",
    pathOf("/v1/invoices", filter),
    signal,
  );
  return { items: body.invoices, ...(body.nextCursor ? { nextCursor: body.nextCursor } : {}) };
}

/** The container's execution, or (`iteration`, an iteration's execution ARN) one iteration of its distributed Map. */
export const getExecution = (id: string, iteration?: string, signal?: AbortSignal) =>
  call<ContainerExecution>(
    "GET",
    pathOf(`/v1/containers/${encodeURIComponent(id)}/execution`, { iteration }),
    signal,
  );

/** The iterations (child executions) of the container's execution's distributed Map `state`, newest first. */
export const listIterations = (
  id: string,
  query: { state: string; status?: ExecutionStatus | undefined; limit?: number },
  signal?: AbortSignal,
) =>
  call<{ iterations: ExecutionSummary[] }>(
    "GET",
    pathOf(`/v1/containers/${encodeURIComponent(id)}/iterations`, query),
    signal,
  );

export const getHistory = (
  id: string,
  options: {
    failuresOnly: boolean;
    limit?: number;
    cursor?: string | undefined;
    iteration?: string | undefined;
  },
  signal?: AbortSignal,
) =>
  call<{ events: HistoryEvent[]; nextCursor?: string }>(
    "GET",
    pathOf(`/v1/containers/${encodeURIComponent(id)}/history`, options),
    signal,
  );

export const reprocess = (id: string) =>
  call<{ executionArn: string }>("POST", `/v1/containers/${encodeURIComponent(id)}/reprocess`);

export const redrive = (id: string) =>
  call<{ executionArn: string; redriveDate: string }>(
    "POST",
    `/v1/containers/${encodeURIComponent(id)}/redrive`,
  );

export interface InvoiceFilter {
  supplier?: string | undefined;
  container?: string | undefined;
  number?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  duplicates?: "only" | "exclude" | undefined;
}

/** The normalized invoice (docs/invoice-model.md), as far as the dashboard reads it. */
export interface InvoiceLine {
  lineNumber?: string;
  quantity?: string;
  unit?: string;
  unitPrice?: string;
  amount?: string;
  description?: string;
  itemIds?: { kind: string; qualifier?: string; value: string }[];
}

export interface NormalizedInvoice {
  invoiceNumber: string;
  invoiceDate?: string;
  type?: string;
  currency?: string;
  purchaseOrder?: { number: string; date?: string };
  parties?: { role: string; name?: string; id?: string }[];
  lines?: InvoiceLine[];
  total: string;
  totals?: {
    stated?: string;
    lines?: string;
    charges?: string;
    allowances?: string;
    tax?: string;
  };
}

export interface InvoiceDetail extends Invoice {
  invoice: NormalizedInvoice;
}

export async function searchInvoices(
  filter: InvoiceFilter & { limit?: number; cursor?: string | undefined },
  signal?: AbortSignal,
): Promise<Page<Invoice>> {
  const body = await call<{ invoices: Invoice[]; nextCursor?: string }>(
    "GET",
    pathOf("/v1/invoices", { ...filter }),
    signal,
  );
  return { items: body.invoices, ...(body.nextCursor ? { nextCursor: body.nextCursor } : {}) };
}

export const getInvoice = (id: string, signal?: AbortSignal) =>
  call<InvoiceDetail>("GET", `/v1/invoices/${encodeURIComponent(id)}`, signal);

export const exportUrl = (filter: InvoiceFilter, format: "csv" | "ndjson" = "csv") =>
  pathOf("/v1/invoices/export", { format, ...filter });

export interface Supplier {
  id: string;
  name: string;
  matchKey: string;
  createdAt: string;
}

export const listSuppliers = (signal?: AbortSignal) =>
  call<{ suppliers: Supplier[]; nextCursor?: string }>("GET", "/v1/suppliers?limit=500", signal);

export interface SourceHealth {
  name: string;
  kind: string;
  enabled: boolean;
  lastPollAt?: string;
  filesTaken: number;
  lastError?: string;
}

export interface Source extends SourceHealth {
  settings: Record<string, unknown>;
  schedule?: string;
  createdAt: string;
}

export interface PollReport {
  source: string;
  files: { name: string; size: number; status: string; containerId?: string; error?: string }[];
  ignored: number;
  taken: number;
  facts?: Record<string, string>;
  error?: string;
}

export const listSources = (signal?: AbortSignal) =>
  call<{ sources: Source[] }>("GET", "/v1/sources", signal);

export const pollSource = (name: string) =>
  call<PollReport>("POST", `/v1/sources/${encodeURIComponent(name)}/poll`);

export interface Overview {
  containers: Record<ContainerState, number>;
  today: { since: string; files: number; invoices: number };
  hourly: { hour: string; files: number; invoices: number }[];
  sources: SourceHealth[];
}

export const getOverview = (query: { since: string; hours: number }, signal?: AbortSignal) =>
  call<Overview>("GET", pathOf("/v1/overview", query), signal);

/** A queue and its depths (`GET /v1/queues`); the operator's, not a tenant's. */
export interface QueueInfo {
  name: string;
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetterQueue?: string;
  maxReceiveCount?: number;
  /** For a dead-letter queue: the queues that send to it. */
  deadLetterSourceQueues?: string[];
}

export interface QueueMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt?: string;
}

export const listQueues = (signal?: AbortSignal) =>
  call<{ queues: QueueInfo[] }>("GET", "/v1/queues", signal);

/** Up to `limit` messages; SQS has no read-only look, so each peek counts as a receive. */
export const peekQueue = (name: string, limit = 10, signal?: AbortSignal) =>
  call<{ messages: QueueMessage[] }>(
    "GET",
    pathOf(`/v1/queues/${encodeURIComponent(name)}/messages`, { limit }),
    signal,
  );

/** Moves a dead-letter queue's messages back to the queues they came from. */
export const redriveQueue = (name: string) =>
  call<{ taskHandle: string }>("POST", `/v1/queues/${encodeURIComponent(name)}/redrive`);

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
];

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
}

export const listExecutions = (
  query: { status?: ExecutionStatus | undefined; limit?: number },
  signal?: AbortSignal,
) => call<{ executions: ExecutionSummary[] }>("GET", pathOf("/v1/executions", query), signal);

/** Redrives any execution from where it stopped; 409 when it cannot be. */
export const redriveExecution = (executionArn: string) =>
  call<{ redriveDate: string }>("POST", "/v1/executions/redrive", undefined, { executionArn });
