import type { FastifyInstance } from "fastify";
import { listSuppliers } from "../../invoices/suppliers.js";
import type { Store } from "../../store/types.js";
import { principalOf, tenantScope } from "./auth.js";
import { cursorOf, positionOf, supplierJson } from "./representation.js";
import { errorResponses, pagingQuery, supplierSchema } from "./schemas.js";

/** `GET /v1/suppliers`: the tenant's suppliers, newest first. */
export async function supplierRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    "/suppliers",
    {
      schema: {
        summary: "List suppliers",
        description: "Created the first time an invoice of theirs is seen; newest first.",
        tags: ["suppliers"],
        querystring: { type: "object", properties: { ...pagingQuery } },
        response: {
          200: {
            type: "object",
            required: ["suppliers"],
            properties: {
              suppliers: { type: "array", items: supplierSchema },
              nextCursor: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await listSuppliers(options.store, {
        tenantId: tenantScope(principalOf(request)),
        limit: request.query.limit,
        before: positionOf(request.query.cursor),
      });
      return { suppliers: page.items.map(supplierJson), ...cursorOf(page.next) };
    },
  );
}
