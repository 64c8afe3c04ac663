import { createRequire } from "node:module";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { IngestError } from "../../ingest/errors.js";
import type { SecretReader } from "../../ingest/secrets.js";
import { InvoicesError } from "../../invoices/errors.js";
import type { PipelineStarter } from "../../invoices/starter.js";
import { DEFAULT_MAX_FILE_BYTES } from "../../invoices/types.js";
import { QueueError } from "../../queues/errors.js";
import type { ExecutionDescription } from "../../states/executions.js";
import { ServiceError } from "../../states/service-errors.js";
import type { Store } from "../../store/types.js";
import { authenticate, databaseKeys, setPrincipal } from "./auth.js";
import { containerRoutes } from "./containers.js";
import { type ExecutionReader, executionRoutes } from "./executions.js";
import { fileRoutes } from "./files.js";
import { invoiceRoutes } from "./invoices.js";
import { createOpenApi } from "./openapi.js";
import { type OperationsOptions, operationRoutes } from "./operations.js";
import { overviewRoutes } from "./overview.js";
import { pipelineRoutes } from "./pipeline.js";
import { sourceRoutes } from "./sources.js";
import { supplierRoutes } from "./suppliers.js";

export interface V1Options {
  store: Store;
  /** The workflow engine (`States`): execution status events are checked against it. */
  states: { executions: { describe(executionArn: string): Promise<ExecutionDescription> } };
  pipeline: PipelineStarter;
  /** The largest file `POST /v1/files` takes; default 64 MiB. */
  maxFileBytes?: number;
  /** Reads the secrets sources log in with, for `/v1/sources/NAME/poll` and `test`. */
  readSecret?: SecretReader;
  /** Reads containers' executions for `/v1/containers/{id}/execution` and `/history` (the dashboard's graph). */
  executions?: ExecutionReader;
  /** The deployment's queues and workflows, for the operator's `/v1/queues` and `/v1/executions`. */
  operations?: OperationsOptions;
}

/** The status of the Step Functions errors the pipeline routes can meet, by name. */
const SERVICE_ERROR_STATUS: Record<string, number> = {
  ExecutionDoesNotExist: 404,
  StateMachineDoesNotExist: 404,
  ExecutionAlreadyExists: 409,
  ExecutionNotRedrivable: 409,
};

function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).type("application/json").send({ error: { code, message } });
}

/**
 * The containers and invoices services over HTTP, under `/v1`: register with
 * `app.register(v1Api, options)`. Every route takes `Authorization: Bearer KEY` (see auth.ts)
 * except `GET /v1/openapi.json`, the document of them all.
 */
export async function v1Api(app: FastifyInstance, options: V1Options): Promise<void> {
  await app.register(
    async (v1) => {
      // package.json is three levels up from both src/server/v1 and dist/server/v1.
      const openApi = createOpenApi({
        title: "Inflow",
        version: (createRequire(import.meta.url)("../../../package.json") as { version: string }).version,
        description: "Containers (received files) and the invoices digitized from them.",
      });
      v1.addHook("onRoute", (route) => openApi.onRoute(route));
      const keys = databaseKeys(options.store);

      v1.setErrorHandler((error: FastifyError, request, reply) => {
        if (error instanceof InvoicesError || error instanceof IngestError) {
          return sendError(reply, error.status, error.name, error.message);
        }
        // SQS answers a missing queue with 400; over /v1 a missing thing is 404.
        if (error instanceof QueueError) {
          return sendError(
            reply,
            error.name === "QueueDoesNotExist" ? 404 : error.status,
            error.name,
            error.message,
          );
        }
        if (error instanceof ServiceError) {
          return sendError(reply, SERVICE_ERROR_STATUS[error.name] ?? 400, error.name, error.message);
        }
        if (error.validation) return sendError(reply, 400, "InvalidRequest", error.message);
        const status = error.statusCode ?? 500;
        if (status === 413) return sendError(reply, 413, "RequestTooLarge", error.message);
        if (status === 415) return sendError(reply, 415, "UnsupportedMediaType", error.message);
        if (status >= 400 && status < 500) return sendError(reply, status, "InvalidRequest", error.message);
        request.log.error({ err: error }, "/v1 failed");
        return sendError(reply, 500, "InternalError", "The request failed; the server log says why.");
      });
      v1.setNotFoundHandler((request, reply) =>
        sendError(reply, 404, "NotFound", `No route ${request.method} ${request.url.split("?")[0]}.`),
      );

      v1.get(
        "/openapi.json",
        {
          config: { public: true },
          schema: {
            summary: "This document",
            description: "OpenAPI 3.1, made from the routes' schemas; no key needed.",
            tags: ["meta"],
            response: { 200: { type: "object", additionalProperties: true } },
          },
        },
        async () => openApi.document(),
      );

      // Authenticated before the body is read: an unknown caller's upload is refused unread.
      v1.addHook("onRequest", async (request) => {
        if (request.routeOptions.config.public) return;
        setPrincipal(
          request,
          await authenticate(
            { authorization: request.headers.authorization, remoteAddress: request.socket.remoteAddress },
            keys,
          ),
        );
      });

      await v1.register(fileRoutes, {
        pipeline: options.pipeline,
        maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      });
      await v1.register(containerRoutes, { store: options.store, pipeline: options.pipeline });
      if (options.executions) {
        await v1.register(executionRoutes, { store: options.store, executions: options.executions });
      }
      await v1.register(invoiceRoutes, { store: options.store });
      await v1.register(supplierRoutes, { store: options.store });
      await v1.register(overviewRoutes, { store: options.store });
      if (options.operations) await v1.register(operationRoutes, options.operations);
      await v1.register(sourceRoutes, {
        store: options.store,
        pipeline: options.pipeline,
        ...(options.readSecret ? { readSecret: options.readSecret } : {}),
      });
      await v1.register(pipelineRoutes, {
        prefix: "/pipeline",
        store: options.store,
        describeExecution: (arn) => options.states.executions.describe(arn),
      });
    },
    { prefix: "/v1" },
  );
}
