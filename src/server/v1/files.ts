import type { FastifyInstance } from "fastify";
import { emptyFile, fileTooLarge, invalidFileName } from "../../invoices/errors.js";
import type { PipelineStarter } from "../../invoices/starter.js";
import { CONTAINER_SOURCES, DEFAULT_TENANT } from "../../invoices/types.js";
import { forbidden, principalOf } from "./auth.js";
import { errorResponses } from "./schemas.js";

export interface FileRoutesOptions {
  pipeline: PipelineStarter;
  maxFileBytes: number;
}

const MAX_NAME_LENGTH = 255;

/** A file name, not a path: no separators, no control characters, not "." or "..". */
export function isSafeFileName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_NAME_LENGTH &&
    name !== "." &&
    name !== ".." &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    !/[/\\\u0000-\u001f\u007f]/.test(name)
  );
}

/**
 * `POST /v1/files?name=NAME`: the raw body, of any content type, becomes a container. The body
 * is read up to `maxFileBytes` and no further: a larger Content-Length is refused before a byte
 * of the body is read, and a chunked body as soon as it passes the limit.
 */
export async function fileRoutes(app: FastifyInstance, options: FileRoutesOptions): Promise<void> {
  // In this scope only: every body is the file's bytes, whatever its content type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: options.maxFileBytes },
    (_request, body, done) => done(null, body),
  );
  // What this handler throws goes on to the /v1 error handler.
  app.setErrorHandler((error: Error & { statusCode?: number }) => {
    throw error.statusCode === 413 ? fileTooLarge(options.maxFileBytes) : error;
  });

  app.post<{ Querystring: { name?: string; source: string; tenant?: string } }>(
    "/files",
    {
      bodyLimit: options.maxFileBytes,
      schema: {
        summary: "Receive a file",
        description:
          "The raw body (any content type) becomes a container in New, and its digitize execution starts. " +
          "The service key may name the tenant; a tenant key uploads to its own.",
        tags: ["containers"],
        querystring: {
          type: "object",
          properties: {
            name: { type: "string", maxLength: 1000, description: "The file name as given." },
            source: { type: "string", enum: [...CONTAINER_SOURCES], default: "upload" },
            tenant: {
              type: "string",
              maxLength: 64,
              description: "Service key only: the tenant to receive it for.",
            },
          },
        },
        response: {
          201: {
            type: "object",
            required: ["containerId", "executionArn"],
            properties: { containerId: { type: "string" }, executionArn: { type: "string" } },
          },
          ...errorResponses,
        },
      },
      config: {
        openapi: {
          requestBody: {
            required: true,
            content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
          },
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { name, source, tenant } = request.query;
      if (name === undefined || !isSafeFileName(name)) throw invalidFileName(name);
      let tenantId: string;
      if (principal.kind === "tenant") {
        if (tenant !== undefined && tenant !== principal.tenantId) {
          throw forbidden("A tenant key receives files for its own tenant only.");
        }
        tenantId = principal.tenantId;
      } else {
        tenantId = tenant ?? DEFAULT_TENANT;
      }
      const bytes = Buffer.isBuffer(request.body) ? request.body : undefined;
      if (bytes === undefined || bytes.length === 0) throw emptyFile();
      const started = await options.pipeline.receive(tenantId, { name, bytes, source });
      reply.code(201);
      return started;
    },
  );
}
