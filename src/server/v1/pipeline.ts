import type { FastifyInstance } from "fastify";
import type { Invoice } from "../../formats/invoice.js";
import { runChecks } from "../../invoices/checks.js";
import { getContainer, transitionContainer } from "../../invoices/containers.js";
import { type ExecutionStatusEvent, reconcileExecutionStatus } from "../../invoices/execution-status.js";
import { createInvoice } from "../../invoices/invoices.js";
import { stageParsed } from "../../invoices/parsed.js";
import { CONTAINER_STATES } from "../../invoices/types.js";
import { verifyContainer } from "../../invoices/verify.js";
import type { ExecutionDescription } from "../../states/executions.js";
import type { Store } from "../../store/types.js";
import { forbidden, principalOf } from "./auth.js";
import { sendFile } from "./containers.js";
import { errorResponses, fileResponse, idParams } from "./schemas.js";

/** Parsed invoices of a big file arrive in one request. */
export const PARSED_BODY_LIMIT = 256 * 1024 * 1024;

export interface PipelineRoutesOptions {
  store: Store;
  /** Reads an execution's status anew when a status event comes in. */
  describeExecution(executionArn: string): Promise<Pick<ExecutionDescription, "status" | "error" | "cause">>;
}

const stateAnswer = {
  type: "object",
  required: ["state"],
  properties: { state: { type: "string", enum: [...CONTAINER_STATES] } },
} as const;

/**
 * `/v1/pipeline/*`: what the digitize workflow's functions call, with the service key only (a
 * tenant key gets 403). Each call is one transaction and safe to repeat: messages are delivered
 * at least once.
 */
export async function pipelineRoutes(app: FastifyInstance, options: PipelineRoutesOptions): Promise<void> {
  const { store } = options;
  app.addHook("onRequest", async (request) => {
    if (principalOf(request).kind !== "service") throw forbidden("The pipeline routes take the service key.");
  });
  const tags = ["pipeline"];

  app.post<{ Params: { id: string } }>(
    "/containers/:id/processing",
    {
      schema: {
        summary: "SetFileAsProcessing",
        description: "New, Processing or Error -> Processing; a Done container is 409 InvalidContainerState.",
        tags,
        params: idParams,
        response: { 200: stateAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const { container } = await store.transaction((tx) =>
        transitionContainer(tx, request.params.id, "Processing", {
          from: ["New", "Error"],
          unchangedIn: ["Processing"],
        }),
      );
      return { state: container.state };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/containers/:id/file",
    {
      schema: {
        summary: "A container's file, for ParseFile",
        description: "The bytes; the file name, percent-encoded, in x-inflow-file-name.",
        tags,
        params: idParams,
        response: errorResponses,
      },
      config: fileResponse,
    },
    async (request, reply) => {
      const container = await getContainer(store, request.params.id);
      reply.header("x-inflow-file-name", encodeURIComponent(container.name));
      return sendFile(store, reply, container.sha256);
    },
  );

  app.put<{ Params: { id: string }; Body: { invoices: Invoice[]; warnings?: unknown[] } }>(
    "/containers/:id/parsed",
    {
      bodyLimit: PARSED_BODY_LIMIT,
      schema: {
        summary: "Stage parsed invoices",
        description: "Keys 1..n in order; replaces what an earlier parse staged.",
        tags,
        params: idParams,
        body: {
          type: "object",
          required: ["invoices"],
          properties: {
            invoices: { type: "array", items: { type: "object", required: ["invoiceNumber"] } },
            warnings: { type: "array", items: { type: "object" } },
          },
        },
        response: {
          200: { type: "object", required: ["parsed"], properties: { parsed: { type: "integer" } } },
          ...errorResponses,
        },
      },
    },
    async (request) =>
      store.transaction((tx) =>
        stageParsed(tx, request.params.id, {
          invoices: request.body.invoices,
          warnings: request.body.warnings ?? [],
        }),
      ),
  );

  app.post<{ Params: { id: string; key: number } }>(
    "/containers/:id/invoices/:key",
    {
      schema: {
        summary: "SendCreateInvoiceRequest",
        description: "Creates the invoice of a parsed key, once: repeating it answers the same invoice.",
        tags,
        params: {
          type: "object",
          required: ["id", "key"],
          properties: { id: idParams.properties.id, key: { type: "integer", minimum: 1 } },
        },
        response: {
          200: {
            type: "object",
            required: ["invoiceId", "created"],
            properties: { invoiceId: { type: "string" }, created: { type: "boolean" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => store.transaction((tx) => createInvoice(tx, request.params.id, request.params.key)),
  );

  app.post<{ Params: { id: string } }>(
    "/invoices/:id/checks",
    {
      schema: {
        summary: "SendPostCreateRequest",
        description: "Runs and stores the invoice's checks: supplier matched or created, totals, duplicate.",
        tags,
        params: idParams,
        response: {
          200: {
            type: "object",
            required: ["supplier", "totals"],
            properties: {
              supplier: { type: "string", enum: ["matched", "created"] },
              totals: { type: "string" },
              duplicateOf: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => store.transaction((tx) => runChecks(tx, request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    "/containers/:id/verify",
    {
      schema: {
        summary: "Verify",
        description: 'Done when created == parsed, else Error "created X of Y invoices".',
        tags,
        params: idParams,
        response: {
          200: {
            type: "object",
            required: ["state", "parsed", "created"],
            properties: {
              state: { type: "string", enum: ["Done", "Error"] },
              parsed: { type: "integer" },
              created: { type: "integer" },
              error: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => store.transaction((tx) => verifyContainer(tx, request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: ExecutionStatusEvent }>(
    "/containers/:id/execution-status",
    {
      schema: {
        summary: "An execution status change",
        description:
          "Ignored unless the execution is the container's current one; its status is then read anew: " +
          "FAILED, TIMED_OUT or ABORTED -> Error with the reason; RUNNING while Error -> Processing.",
        tags,
        params: idParams,
        body: {
          type: "object",
          required: ["executionArn", "status"],
          properties: {
            executionArn: { type: "string", maxLength: 2048 },
            status: { type: "string", maxLength: 64 },
            error: { type: "string" },
            cause: { type: "string" },
          },
        },
        response: { 200: stateAnswer, ...errorResponses },
      },
    },
    async (request) =>
      reconcileExecutionStatus(store, options.describeExecution, request.params.id, request.body),
  );
}
