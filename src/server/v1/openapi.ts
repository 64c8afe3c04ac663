import type { RouteOptions } from "fastify";

/**
 * The OpenAPI 3.1 document of `/v1`, made from the routes' own JSON schemas as they are
 * registered (OpenAPI 3.1 schemas are JSON Schema, so they go in as they are). A route says what
 * the schemas cannot (a raw request body, a CSV answer) in `config.openapi`.
 */

export interface OpenApiExtras {
  requestBody?: Record<string, unknown>;
  /** Responses by status, replacing what the response schema would give. */
  responses?: Record<string, Record<string, unknown>>;
}

declare module "fastify" {
  /** What the document says of a route besides its schemas (Fastify itself ignores these keys). */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
  interface FastifyContextConfig {
    openapi?: OpenApiExtras;
    /** Answered without credentials (the document itself). */
    public?: boolean;
  }
}

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: readonly string[];
  params?: { properties?: Record<string, unknown>; required?: string[] };
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  body?: Record<string, unknown>;
  response?: Record<string, Record<string, unknown>>;
}

const STATUS_TEXT: Record<string, string> = {
  "200": "OK",
  "201": "Created",
  "202": "Accepted",
  "4xx": "The request was refused: see error.code.",
  "5xx": "The service failed.",
};

export function createOpenApi(info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, unknown>> = {};

  return {
    /** Fastify's onRoute hook: records a route (not the HEAD twins of GET routes). */
    onRoute(route: RouteOptions) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
        (m) => m !== "HEAD",
      );
      const schema = route.schema as RouteSchema | undefined;
      if (!schema || methods.length === 0) return;
      const extras = route.config?.openapi ?? {};
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      const parameters = [
        ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({
          name,
          in: "path",
          required: true,
          schema: s,
        })),
        ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({
          name,
          in: "query",
          required: schema.querystring?.required?.includes(name) ?? false,
          schema: s,
          ...((s as { description?: string }).description
            ? { description: (s as { description: string }).description }
            : {}),
        })),
      ];
      const responses: Record<string, unknown> = {};
      for (const [status, body] of Object.entries(schema.response ?? {})) {
        responses[status.toUpperCase()] = {
          description: STATUS_TEXT[status] ?? status,
          content: { "application/json": { schema: body } },
        };
      }
      for (const [status, response] of Object.entries(extras.responses ?? {})) responses[status] = response;
      const operation = {
        ...(schema.summary ? { summary: schema.summary } : {}),
        ...(schema.description ? { description: schema.description } : {}),
        ...(schema.tags ? { tags: schema.tags } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(extras.requestBody
          ? { requestBody: extras.requestBody }
          : schema.body
            ? { requestBody: { required: true, content: { "application/json": { schema: schema.body } } } }
            : {}),
        responses,
      };
      paths[path] ??= {};
      for (const method of methods) paths[path]![method.toLowerCase()] = operation;
    },

    document() {
      return {
        openapi: "3.1.0",
        info,
        components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
        security: [{ bearer: [] }],
        paths,
      };
    },
  };
}
