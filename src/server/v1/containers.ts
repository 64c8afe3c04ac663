import type { FastifyInstance, FastifyReply } from "fastify";
import { containerTransitions, getContainer, listContainers } from "../../invoices/containers.js";
import { readFile } from "../../invoices/files.js";
import type { PipelineStarter } from "../../invoices/starter.js";
import {
  CONTAINER_SOURCES,
  CONTAINER_STATES,
  type ContainerSource,
  type ContainerState,
} from "../../invoices/types.js";
import type { Store } from "../../store/types.js";
import { principalOf, tenantScope } from "./auth.js";
import { containerDetailJson, containerJson, cursorOf, positionOf, timeOf } from "./representation.js";
import {
  containerDetailSchema,
  containerSummarySchema,
  errorResponses,
  fileResponse,
  idParams,
  pagingQuery,
  timeQuery,
} from "./schemas.js";

export interface ContainerRoutesOptions {
  store: Store;
  pipeline: PipelineStarter;
}

/** `attachment` with the name as given: ASCII for every client, UTF-8 (RFC 5987) for those that read it. */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Sends a container's raw file. */
export async function sendFile(store: Store, reply: FastifyReply, sha256: string): Promise<Buffer> {
  const bytes = await readFile(store, sha256);
  if (!bytes) throw new Error(`The file ${sha256} of a container is missing`);
  reply.type("application/octet-stream");
  return bytes;
}

/** The tenant routes of containers: list, detail, file, reprocess and redrive. */
export async function containerRoutes(app: FastifyInstance, options: ContainerRoutesOptions): Promise<void> {
  const { store, pipeline } = options;

  app.get<{
    Querystring: {
      state?: ContainerState;
      supplier?: string;
      source?: ContainerSource;
      q?: string;
      invoice?: string;
      from?: string;
      to?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    "/containers",
    {
      schema: {
        summary: "List containers",
        description: "Newest first; `nextCursor` continues the listing.",
        tags: ["containers"],
        querystring: {
          type: "object",
          properties: {
            state: { type: "string", enum: [...CONTAINER_STATES] },
            supplier: { type: "string", maxLength: 100, description: "A supplier id." },
            source: {
              type: "string",
              enum: [...CONTAINER_SOURCES],
              description: "Where the files came from.",
            },
            q: { type: "string", maxLength: 200, description: "Part of the file name, any case." },
            invoice: {
              type: "string",
              maxLength: 200,
              description: "An invoice number: the containers holding an invoice of exactly this number.",
            },
            from: { ...timeQuery, description: "Received at or after (ISO 8601 or epoch ms)." },
            to: { ...timeQuery, description: "Received before (ISO 8601 or epoch ms)." },
            ...pagingQuery,
          },
        },
        response: {
          200: {
            type: "object",
            required: ["containers"],
            properties: {
              containers: { type: "array", items: containerSummarySchema },
              nextCursor: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { query } = request;
      const page = await listContainers(store, {
        tenantId: tenantScope(principalOf(request)),
        state: query.state,
        supplierId: query.supplier,
        ...(query.source !== undefined ? { source: query.source } : {}),
        nameContains: query.q,
        ...(query.invoice !== undefined ? { invoiceNumber: query.invoice } : {}),
        from: timeOf(query.from, "from"),
        to: timeOf(query.to, "to"),
        limit: query.limit,
        before: positionOf(query.cursor),
      });
      return { containers: page.items.map(containerJson), ...cursorOf(page.next) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/containers/:id",
    {
      schema: {
        summary: "A container",
        description: "With every transition and the parser's warnings.",
        tags: ["containers"],
        params: idParams,
        response: { 200: containerDetailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const container = await getContainer(store, request.params.id, tenantScope(principalOf(request)));
      return containerDetailJson(container, await containerTransitions(store, container.id));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/containers/:id/file",
    {
      schema: {
        summary: "A container's file",
        description: "The bytes as received.",
        tags: ["containers"],
        params: idParams,
        response: errorResponses,
      },
      config: fileResponse,
    },
    async (request, reply) => {
      const container = await getContainer(store, request.params.id, tenantScope(principalOf(request)));
      reply.header("content-disposition", attachment(container.name));
      return sendFile(store, reply, container.sha256);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/containers/:id/reprocess",
    {
      schema: {
        summary: "Reprocess a container",
        description: "A Done or Error container starts over under a new execution.",
        tags: ["containers"],
        params: idParams,
        response: {
          202: {
            type: "object",
            required: ["executionArn"],
            properties: { executionArn: { type: "string" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const container = await getContainer(store, request.params.id, tenantScope(principalOf(request)));
      const started = await pipeline.reprocess(container.id);
      reply.code(202);
      return started;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/containers/:id/redrive",
    {
      schema: {
        summary: "Redrive a container",
        description:
          "An Error container's execution goes on from where it failed (409 NotRedrivable otherwise).",
        tags: ["containers"],
        params: idParams,
        response: {
          202: {
            type: "object",
            required: ["executionArn", "redriveDate"],
            properties: {
              executionArn: { type: "string" },
              redriveDate: { type: "string", format: "date-time" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const container = await getContainer(store, request.params.id, tenantScope(principalOf(request)));
      const { executionArn, redriveDate } = await pipeline.redrive(container.id);
      reply.code(202);
      return { executionArn, redriveDate: new Date(redriveDate).toISOString() };
    },
  );
}
