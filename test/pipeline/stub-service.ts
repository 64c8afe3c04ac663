import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { Diagnostic } from "../../src/formats/diagnostics.js";
import type { Invoice } from "../../src/formats/invoice.js";
import { listenOnFreePort } from "../support/listen.js";

/**
 * A stand-in for the `/v1/pipeline` routes of the containers and invoices services, answering as
 * the issue 6 contract says, with containers in memory. `fail` makes a route answer with a status
 * of the test's choosing (a 503 for the service being down, a 4xx for a refusal) or never answer.
 */

export const SERVICE_KEY = "sk_test";

export type Route = "processing" | "file" | "parsed" | "invoice" | "checks" | "verify" | "execution-status";

export interface StubContainer {
  id: string;
  name: string;
  bytes: Buffer;
  state: "New" | "Processing" | "Done" | "Error";
  error?: string;
  executionArn?: string;
  parsed?: Invoice[];
  warnings?: Diagnostic[];
  /** Invoice ids by key. */
  invoices: Map<number, string>;
}

export interface StubService {
  url: string;
  containers: Map<string, StubContainer>;
  /** Every call, in order: the route and the container or invoice id. */
  calls: { route: Route; id: string; body?: unknown }[];
  add(id: string, name: string, bytes: Buffer | string, executionArn?: string): StubContainer;
  /** From now on `route` answers `status` (or hangs, for "hang"); `undefined` restores it. */
  fail(route: Route, status: number | "hang" | undefined): void;
  close(): Promise<void>;
}

export async function startStubService(): Promise<StubService> {
  const containers = new Map<string, StubContainer>();
  const invoices = new Map<string, { containerId: string; key: number }>();
  const failures = new Map<Route, number | "hang">();
  const calls: StubService["calls"] = [];
  const hanging = new Set<FastifyReply>();
  const app: FastifyInstance = Fastify({ bodyLimit: 256 * 1024 * 1024, forceCloseConnections: true });

  const refuse = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).send({ error: { code, message } });

  /** Logs the call and answers an injected failure; false when it answered. */
  const enter = async (route: Route, id: string, reply: FastifyReply, body?: unknown): Promise<boolean> => {
    calls.push({ route, id, ...(body !== undefined ? { body } : {}) });
    const failure = failures.get(route);
    if (failure === "hang") {
      hanging.add(reply);
      return new Promise<boolean>(() => undefined);
    }
    if (failure !== undefined) {
      refuse(reply, failure, failure >= 500 ? "Unavailable" : "Refused", `injected ${failure}`);
      return false;
    }
    return true;
  };

  app.addHook("onRequest", async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${SERVICE_KEY}`) {
      return refuse(reply, 403, "Forbidden", "the pipeline routes need the service key");
    }
  });

  const container = (id: string, reply: FastifyReply) => {
    const found = containers.get(id);
    if (!found) refuse(reply, 404, "ContainerNotFound", `no container ${id}`);
    return found;
  };

  app.post<{ Params: { id: string } }>("/v1/pipeline/containers/:id/processing", async (request, reply) => {
    if (!(await enter("processing", request.params.id, reply))) return reply;
    const found = container(request.params.id, reply);
    if (!found) return reply;
    if (found.state === "Done") {
      return refuse(reply, 409, "InvalidContainerState", `container ${found.id} is Done`);
    }
    found.state = "Processing";
    return { state: found.state };
  });

  app.get<{ Params: { id: string } }>("/v1/pipeline/containers/:id/file", async (request, reply) => {
    if (!(await enter("file", request.params.id, reply))) return reply;
    const found = container(request.params.id, reply);
    if (!found) return reply;
    return reply
      .header("x-inflow-file-name", encodeURIComponent(found.name))
      .type("application/octet-stream")
      .send(found.bytes);
  });

  app.put<{ Params: { id: string }; Body: { invoices: Invoice[]; warnings: Diagnostic[] } }>(
    "/v1/pipeline/containers/:id/parsed",
    async (request, reply) => {
      if (!(await enter("parsed", request.params.id, reply))) return reply;
      const found = container(request.params.id, reply);
      if (!found) return reply;
      found.parsed = request.body.invoices;
      found.warnings = request.body.warnings;
      return { parsed: found.parsed.length };
    },
  );

  app.post<{ Params: { id: string; key: string } }>(
    "/v1/pipeline/containers/:id/invoices/:key",
    async (request, reply) => {
      if (!(await enter("invoice", `${request.params.id}/${request.params.key}`, reply))) return reply;
      const found = container(request.params.id, reply);
      if (!found) return reply;
      const key = Number(request.params.key);
      if (!found.parsed || !Number.isInteger(key) || key < 1 || key > found.parsed.length) {
        return refuse(reply, 404, "InvoiceKeyNotFound", `no parsed invoice ${key} in ${found.id}`);
      }
      const existing = found.invoices.get(key);
      if (existing) return { invoiceId: existing, created: false };
      const invoiceId = `i_${found.id}_${key}`;
      found.invoices.set(key, invoiceId);
      invoices.set(invoiceId, { containerId: found.id, key });
      return { invoiceId, created: true };
    },
  );

  app.post<{ Params: { id: string } }>("/v1/pipeline/invoices/:id/checks", async (request, reply) => {
    if (!(await enter("checks", request.params.id, reply))) return reply;
    if (!invoices.has(request.params.id)) {
      return refuse(reply, 404, "InvoiceNotFound", `no invoice ${request.params.id}`);
    }
    return { supplier: "matched", totals: "ok" };
  });

  app.post<{ Params: { id: string } }>("/v1/pipeline/containers/:id/verify", async (request, reply) => {
    if (!(await enter("verify", request.params.id, reply))) return reply;
    const found = container(request.params.id, reply);
    if (!found) return reply;
    const parsed = found.parsed?.length ?? 0;
    const created = found.invoices.size;
    if (created === parsed) {
      found.state = "Done";
      delete found.error;
      return { state: "Done", parsed, created };
    }
    found.state = "Error";
    found.error = `created ${created} of ${parsed} invoices`;
    return { state: "Error", parsed, created, error: found.error };
  });

  app.post<{
    Params: { id: string };
    Body: { executionArn: string; status: string; error?: string; cause?: string };
  }>("/v1/pipeline/containers/:id/execution-status", async (request, reply) => {
    if (!(await enter("execution-status", request.params.id, reply, request.body))) return reply;
    const found = container(request.params.id, reply);
    if (!found) return reply;
    const { executionArn, status, error, cause } = request.body;
    if (found.executionArn !== undefined && executionArn !== found.executionArn)
      return { state: found.state };
    if (status === "FAILED" || status === "TIMED_OUT" || status === "ABORTED") {
      let message = cause ?? "";
      try {
        message = (JSON.parse(message) as { errorMessage?: string }).errorMessage ?? message;
      } catch {
        // a plain cause
      }
      found.state = "Error";
      found.error = `${error ?? status}: ${message}`;
    } else if (status === "RUNNING" && found.state === "Error") found.state = "Processing";
    return { state: found.state };
  });

  const url = await listenOnFreePort(app);
  return {
    url,
    containers,
    calls,
    add(id, name, bytes, executionArn) {
      const added: StubContainer = {
        id,
        name,
        bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes),
        state: "New",
        invoices: new Map(),
        ...(executionArn !== undefined ? { executionArn } : {}),
      };
      containers.set(id, added);
      return added;
    },
    fail(route, status) {
      if (status === undefined) failures.delete(route);
      else failures.set(route, status);
    },
    async close() {
      for (const reply of hanging) reply.raw.destroy();
      await app.close();
    },
  };
}
