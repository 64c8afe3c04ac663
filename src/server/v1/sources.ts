import type { FastifyInstance, FastifyRequest } from "fastify";
import { tenantKeyRequired } from "../../ingest/errors.js";
import { type PollDeps, pollSource } from "../../ingest/poll.js";
import { addSource, getSource, listSources, removeSource } from "../../ingest/sources.js";
import { SOURCE_KINDS, type Source } from "../../ingest/types.js";
import { principalOf, tenantScope } from "./auth.js";
import { errorResponses } from "./schemas.js";

/**
 * `/v1/sources`: a tenant's sources (drop folders, FTP/SFTP servers, email addresses), their
 * last poll and error, and polling on demand. Settings name secrets, never hold them: secrets are
 * set by an operator (`inflow secrets set NAME --tenant T`), so no request or answer here carries
 * a credential.
 */
export type SourceRouteOptions = Pick<PollDeps, "store" | "pipeline" | "readSecret">;

const sourceSchema = {
  type: "object",
  required: ["name", "kind", "settings", "enabled", "createdAt", "filesTaken"],
  properties: {
    name: { type: "string" },
    kind: { type: "string", enum: [...SOURCE_KINDS] },
    settings: { type: "object", additionalProperties: true },
    schedule: { type: "string" },
    enabled: { type: "boolean" },
    createdAt: { type: "string", format: "date-time" },
    lastPollAt: { type: "string", format: "date-time" },
    filesTaken: { type: "integer" },
    lastError: { type: "string" },
  },
} as const;

const intakeSchema = {
  type: "object",
  required: ["name", "size", "status"],
  properties: {
    name: { type: "string" },
    size: { type: "integer" },
    status: { type: "string" },
    containerId: { type: "string" },
    error: { type: "string" },
  },
} as const;

const pollReportSchema = {
  type: "object",
  required: ["source", "files", "ignored", "taken"],
  properties: {
    source: { type: "string" },
    files: {
      type: "array",
      items: {
        ...intakeSchema,
        properties: { ...intakeSchema.properties, unpacked: { type: "array", items: intakeSchema } },
      },
    },
    ignored: { type: "integer" },
    taken: { type: "integer" },
    facts: { type: "object", additionalProperties: { type: "string" } },
    error: { type: "string" },
  },
} as const;

const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", maxLength: 64 } },
} as const;

const sourceJson = (source: Source) => ({
  name: source.name,
  kind: source.kind,
  settings: source.settings,
  ...(source.schedule !== undefined ? { schedule: source.schedule } : {}),
  enabled: source.enabled,
  createdAt: new Date(source.createdAt).toISOString(),
  ...(source.lastPollAt !== undefined ? { lastPollAt: new Date(source.lastPollAt).toISOString() } : {}),
  filesTaken: source.filesTaken,
  ...(source.lastError !== undefined ? { lastError: source.lastError } : {}),
});

/** Sources belong to a tenant: the pipeline's service key, which has none, is refused. */
function tenantOf(request: FastifyRequest): string {
  const tenantId = tenantScope(principalOf(request));
  if (tenantId === undefined) throw tenantKeyRequired();
  return tenantId;
}

export async function sourceRoutes(app: FastifyInstance, options: SourceRouteOptions): Promise<void> {
  app.get(
    "/sources",
    {
      schema: {
        summary: "List sources",
        description: "The tenant's sources by name, with their last poll, files taken and last error.",
        tags: ["sources"],
        response: {
          200: {
            type: "object",
            required: ["sources"],
            properties: { sources: { type: "array", items: sourceSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ sources: (await listSources(options.store, tenantOf(request))).map(sourceJson) }),
  );

  app.post<{
    Body: {
      name: string;
      kind: string;
      settings: Record<string, unknown>;
      schedule?: string;
      enabled?: boolean;
    };
  }>(
    "/sources",
    {
      bodyLimit: 64 * 1024,
      schema: {
        summary: "Add a source",
        description:
          "Settings by kind (see docs/sources.md): `folder` {path}, `ftp`/`ftps` {host, user, passwordSecret}, `sftp` {host, user, passwordSecret or privateKeySecret, hostKey}, `email` {address}; and for all: pattern, after, archive, maxFileBytes, minAgeSeconds, concurrency, retries. Secrets are named, never sent.",
        tags: ["sources"],
        body: {
          type: "object",
          required: ["name", "kind", "settings"],
          additionalProperties: false,
          properties: {
            name: { type: "string", maxLength: 64 },
            kind: { type: "string", enum: [...SOURCE_KINDS] },
            settings: { type: "object", additionalProperties: true, maxProperties: 32 },
            schedule: { type: "string", maxLength: 256 },
            enabled: { type: "boolean" },
          },
        },
        response: { 201: sourceSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, kind, settings, schedule, enabled } = request.body;
      const source = await addSource(options.store, {
        tenantId: tenantOf(request),
        name,
        kind,
        settings,
        ...(schedule !== undefined ? { schedule } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
      });
      return reply.code(201).send(sourceJson(source));
    },
  );

  app.get<{ Params: { name: string } }>(
    "/sources/:name",
    {
      schema: {
        summary: "Get a source",
        tags: ["sources"],
        params: nameParams,
        response: { 200: sourceSchema, ...errorResponses },
      },
    },
    async (request) => sourceJson(await getSource(options.store, tenantOf(request), request.params.name)),
  );

  app.delete<{ Params: { name: string } }>(
    "/sources/:name",
    {
      schema: {
        summary: "Remove a source",
        description: "Its containers stay; what it remembers taking is forgotten.",
        tags: ["sources"],
        params: nameParams,
        response: { 204: { type: "null" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      await getSource(options.store, tenantId, request.params.name);
      await removeSource(options.store, tenantId, request.params.name);
      return reply.code(204).send();
    },
  );

  for (const [action, take] of [
    ["poll", true],
    ["test", false],
  ] as const) {
    app.post<{ Params: { name: string } }>(
      `/sources/:name/${action}`,
      {
        schema: {
          summary: take ? "Poll a source now" : "Test a source",
          description: take
            ? "Lists the source and makes a container of each new file, as a scheduled poll does; answers what became of each."
            : "Connects and lists, and answers what a poll would do with each file, taking nothing.",
          tags: ["sources"],
          params: nameParams,
          response: { 200: pollReportSchema, ...errorResponses },
        },
      },
      async (request) => {
        const { tenantId: _tenant, ...report } = await pollSource(
          options,
          tenantOf(request),
          request.params.name,
          { take },
        );
        return report;
      },
    );
  }
}
