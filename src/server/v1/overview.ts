import type { FastifyInstance } from "fastify";
import { listSources } from "../../ingest/sources.js";
import { overview } from "../../invoices/overview.js";
import { CONTAINER_STATES } from "../../invoices/types.js";
import type { Store } from "../../store/types.js";
import { principalOf, tenantScope } from "./auth.js";
import { errorResponses } from "./schemas.js";

const MAX_HOURS = 7 * 24;
const count = { type: "integer" } as const;

/**
 * `GET /v1/overview`: what the dashboard's overview shows, in one answer: containers by state,
 * files and invoices since the start of the caller's day, hour by hour for the last hours, and
 * the sources' health.
 */
export async function overviewRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get<{ Querystring: { since?: string; hours: number } }>(
    "/overview",
    {
      schema: {
        summary: "The overview",
        description:
          "Containers by state; files received and invoices created since `since` (an ISO time, by default the start of the UTC day); both per hour for the last `hours`; and each source's last poll and error.",
        tags: ["overview"],
        querystring: {
          type: "object",
          properties: {
            since: { type: "string", format: "date-time" },
            hours: { type: "integer", minimum: 1, maximum: MAX_HOURS, default: 24 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["containers", "today", "hourly", "sources"],
            properties: {
              containers: {
                type: "object",
                properties: Object.fromEntries(CONTAINER_STATES.map((state) => [state, count])),
              },
              today: {
                type: "object",
                properties: { since: { type: "string" }, files: count, invoices: count },
              },
              hourly: {
                type: "array",
                items: {
                  type: "object",
                  properties: { hour: { type: "string" }, files: count, invoices: count },
                },
              },
              sources: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    name: { type: "string" },
                    kind: { type: "string" },
                    enabled: { type: "boolean" },
                    lastPollAt: { type: "string" },
                    filesTaken: count,
                    lastError: { type: "string" },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const tenantId = tenantScope(principalOf(request));
      const now = Date.now();
      const since = request.query.since ? Date.parse(request.query.since) : now - (now % 86_400_000);
      const numbers = await overview(options.store, { tenantId, since, hours: request.query.hours, now });
      const sources = await listSources(options.store, tenantId);
      return {
        containers: numbers.containers,
        today: { since: new Date(since).toISOString(), ...numbers.today },
        hourly: numbers.hourly.map((slot) => ({ ...slot, hour: new Date(slot.hour).toISOString() })),
        sources: sources.map((source) => ({
          name: source.name,
          kind: source.kind,
          enabled: source.enabled,
          ...(source.lastPollAt !== undefined
            ? { lastPollAt: new Date(source.lastPollAt).toISOString() }
            : {}),
          filesTaken: source.filesTaken,
          ...(source.lastError !== undefined ? { lastError: source.lastError } : {}),
        })),
      };
    },
  );
}
