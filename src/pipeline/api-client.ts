import type { Diagnostic } from "../formats/diagnostics.js";
import type { Invoice } from "../formats/invoice.js";
import { ServiceRefused, serviceUnavailable } from "./errors.js";

/**
 * The functions' way to the containers and invoices services: the `/v1/pipeline` routes over
 * HTTP with the service key, as the functions would call them from Lambda. Every failure is typed:
 * the service unreachable, slow past the timeout, answering 5xx, 408 or 429 is
 * `Pipeline.ServiceUnavailable` (the call may succeed later); any other 4xx is a ServiceRefused
 * named by the service's error code (it will not).
 */

export interface PipelineApiOptions {
  /** The service's base URL, `http://127.0.0.1:4566`; the routes are under `/v1/pipeline`. */
  url: string;
  serviceKey: string;
  /** Per call. */
  requestTimeoutMillis: number;
  /** Per call that moves a file or its parsed invoices. */
  transferTimeoutMillis: number;
}

export type ContainerState = "New" | "Processing" | "Done" | "Error";

export interface InvoiceChecks {
  supplier: string;
  totals: string;
  duplicateOf?: string;
}

export interface Verification {
  state: "Done" | "Error";
  parsed: number;
  created: number;
  error?: string;
}

export interface ExecutionStatusReport {
  executionArn: string;
  status: string;
  error?: string;
  cause?: string;
}

/** Statuses that say "not now" rather than "no": a timeout of the request and rate limiting. */
const RETRYABLE_4XX = new Set([408, 429]);

interface Call {
  method: "GET" | "POST" | "PUT";
  path: string;
  body?: unknown;
  /** The caller's own deadline (the function's `context.signal`). */
  signal?: AbortSignal | undefined;
  transfer?: boolean;
}

/** What a failed fetch says: the system error code of the connection (ECONNREFUSED) or the abort's reason. */
function describeFetchFailure(error: unknown, timeoutMillis: number): string {
  const failure = error as Error & { cause?: { code?: string; message?: string } };
  if (failure.name === "TimeoutError") return `no answer within ${timeoutMillis} ms`;
  if (failure.name === "AbortError") return "abandoned at the function's deadline";
  return failure.cause?.code ?? failure.cause?.message ?? failure.message;
}

/** The service's `{"error": {"code", "message"}}`, or what can be said without it. */
async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text().catch(() => "");
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === "string" && typeof error.message === "string") {
      return { code: error.code, message: error.message };
    }
  } catch {
    // not the service's error shape: described below
  }
  return { code: `Http${response.status}`, message: text.slice(0, 500) || response.statusText };
}

/** Header values are Latin-1: a name beyond it comes percent-encoded. */
function headerText(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function createPipelineApi(options: PipelineApiOptions) {
  const base = `${options.url.replace(/\/+$/, "")}/v1/pipeline`;
  const authorization = `Bearer ${options.serviceKey}`;

  /** Sends one request and returns the response of a 2xx; throws the typed failure otherwise. */
  const send = async (call: Call): Promise<{ response: Response; timeoutMillis: number; what: string }> => {
    const timeoutMillis = call.transfer ? options.transferTimeoutMillis : options.requestTimeoutMillis;
    const what = `${call.method} ${base}${call.path}`;
    const timeout = AbortSignal.timeout(timeoutMillis);
    let response: Response;
    try {
      response = await fetch(`${base}${call.path}`, {
        method: call.method,
        headers: {
          authorization,
          ...(call.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        signal: call.signal ? AbortSignal.any([timeout, call.signal]) : timeout,
      });
    } catch (error) {
      throw serviceUnavailable(`${what}: ${describeFetchFailure(error, timeoutMillis)}`);
    }
    if (response.ok) return { response, timeoutMillis, what };
    const { code, message } = await errorOf(response);
    if (response.status >= 500 || RETRYABLE_4XX.has(response.status) || response.status < 400) {
      throw serviceUnavailable(`${what}: ${response.status} ${code}: ${message}`);
    }
    throw new ServiceRefused(code, message, response.status);
  };

  /** Reads the body under the same timeout: a service that stalls mid-answer is unavailable too. */
  const read = async <T>(
    sent: { response: Response; timeoutMillis: number; what: string },
    as: "json" | "bytes",
  ): Promise<T> => {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await sent.response.arrayBuffer());
    } catch (error) {
      throw serviceUnavailable(`${sent.what}: ${describeFetchFailure(error, sent.timeoutMillis)}`);
    }
    if (as === "bytes") return bytes as T;
    try {
      return JSON.parse(bytes.toString("utf8")) as T;
    } catch {
      // A 2xx that is not JSON is the service's fault; another instance of it may answer well.
      throw serviceUnavailable(`${sent.what}: the answer is not JSON`);
    }
  };

  const json = async <T>(call: Call): Promise<T> => read<T>(await send(call), "json");
  const id = encodeURIComponent;

  return {
    /** The container goes to Processing (from New, Processing or Error). */
    setProcessing: (containerId: string, signal?: AbortSignal) =>
      json<{ state: ContainerState }>({
        method: "POST",
        path: `/containers/${id(containerId)}/processing`,
        signal,
      }),

    /** The container's raw file and its name. */
    async file(containerId: string, signal?: AbortSignal): Promise<{ name: string; bytes: Buffer }> {
      const sent = await send({
        method: "GET",
        path: `/containers/${id(containerId)}/file`,
        signal,
        transfer: true,
      });
      const header = sent.response.headers.get("x-inflow-file-name");
      const bytes = await read<Buffer>(sent, "bytes");
      return { name: header === null ? containerId : headerText(header), bytes };
    },

    /** Stages the parsed invoices (keys 1..n in order) and the parser's warnings, replacing earlier ones. */
    putParsed: (
      containerId: string,
      parsed: { invoices: Invoice[]; warnings: Diagnostic[] },
      signal?: AbortSignal,
    ) =>
      json<{ parsed: number }>({
        method: "PUT",
        path: `/containers/${id(containerId)}/parsed`,
        body: parsed,
        signal,
        transfer: true,
      }),

    /** Creates the invoice of a parsed key; idempotent on (container, key). */
    createInvoice: (containerId: string, key: number, signal?: AbortSignal) =>
      json<{ invoiceId: string; created: boolean }>({
        method: "POST",
        path: `/containers/${id(containerId)}/invoices/${key}`,
        signal,
      }),

    /** Runs and stores the post-creation checks: supplier match, totals, duplicates. */
    checkInvoice: (invoiceId: string, signal?: AbortSignal) =>
      json<InvoiceChecks>({ method: "POST", path: `/invoices/${id(invoiceId)}/checks`, signal }),

    /** Done when every parsed invoice was created, Error otherwise. */
    verify: (containerId: string, signal?: AbortSignal) =>
      json<Verification>({ method: "POST", path: `/containers/${id(containerId)}/verify`, signal }),

    /** Tells the containers service of an execution's status change. */
    executionStatus: (containerId: string, report: ExecutionStatusReport, signal?: AbortSignal) =>
      json<{ state: ContainerState }>({
        method: "POST",
        path: `/containers/${id(containerId)}/execution-status`,
        body: report,
        signal,
      }),
  };
}

export type PipelineApi = ReturnType<typeof createPipelineApi>;
