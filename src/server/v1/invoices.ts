import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { allInvoices, getInvoice, type InvoiceFilter, listInvoices } from "../../invoices/invoices.js";
import type { Store } from "../../store/types.js";
import { type Principal, principalOf, tenantScope } from "./auth.js";
import { attachment } from "./containers.js";
import { csvHeader, csvRow, EXPORT_FORMATS, type ExportFormat, ndjsonLine } from "./export.js";
import { cursorOf, dayOf, invoiceDetailJson, invoiceJson, positionOf } from "./representation.js";
import {
  errorResponses,
  idParams,
  invoiceDetailSchema,
  invoiceSummarySchema,
  pagingQuery,
} from "./schemas.js";

interface FilterQuery {
  supplier?: string;
  container?: string;
  number?: string;
  from?: string;
  to?: string;
  duplicates?: "only" | "exclude";
}

const filterQuery = {
  supplier: { type: "string", maxLength: 100, description: "A supplier id." },
  container: { type: "string", maxLength: 100, description: "A container id." },
  number: { type: "string", maxLength: 200, description: "The invoice number, exactly." },
  from: {
    type: "string",
    maxLength: 40,
    description: "Invoice date on or after (YYYY-MM-DD, ISO 8601 or epoch ms).",
  },
  to: {
    type: "string",
    maxLength: 40,
    description: "Invoice date on or before (YYYY-MM-DD, ISO 8601 or epoch ms).",
  },
  duplicates: { type: "string", enum: ["only", "exclude"], description: "Only duplicates, or none." },
} as const;

function filterOf(principal: Principal, query: FilterQuery): Omit<InvoiceFilter, "limit"> {
  return {
    tenantId: tenantScope(principal),
    supplierId: query.supplier,
    containerId: query.container,
    number: query.number,
    from: dayOf(query.from, "from"),
    to: dayOf(query.to, "to"),
    duplicates: query.duplicates,
  };
}

/** The tenant routes of invoices: list, detail and export. */
export async function invoiceRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  const { store } = options;

  app.get<{ Querystring: FilterQuery & { limit: number; cursor?: string } }>(
    "/invoices",
    {
      schema: {
        summary: "List invoices",
        description: "Newest first; `nextCursor` continues the listing.",
        tags: ["invoices"],
        querystring: { type: "object", properties: { ...filterQuery, ...pagingQuery } },
        response: {
          200: {
            type: "object",
            required: ["invoices"],
            properties: {
              invoices: { type: "array", items: invoiceSummarySchema },
              nextCursor: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await listInvoices(store, {
        ...filterOf(principalOf(request), request.query),
        limit: request.query.limit,
        before: positionOf(request.query.cursor),
      });
      return { invoices: page.items.map(invoiceJson), ...cursorOf(page.next) };
    },
  );

  app.get<{ Querystring: FilterQuery & { format: ExportFormat } }>(
    "/invoices/export",
    {
      schema: {
        summary: "Export invoices",
        description:
          "Every invoice the filters select, oldest first, streamed. CSV: id, number, date, supplier, total, " +
          "currency, container, file, duplicateOf. NDJSON: one invoice per line, with its normalized form.",
        tags: ["invoices"],
        querystring: {
          type: "object",
          properties: {
            format: { type: "string", enum: [...EXPORT_FORMATS], default: "csv" },
            ...filterQuery,
          },
        },
        response: errorResponses,
      },
      config: {
        openapi: {
          responses: {
            200: {
              description: "The invoices.",
              content: {
                "text/csv": { schema: { type: "string" } },
                "application/x-ndjson": { schema: { type: "string" } },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { format } = request.query;
      const filter = filterOf(principalOf(request), request.query);
      const lines =
        format === "csv"
          ? (async function* () {
              yield csvHeader();
              for await (const invoice of allInvoices(store, filter)) yield csvRow(invoice);
            })()
          : (async function* () {
              for await (const invoice of allInvoices(store, filter, { withInvoice: true })) {
                yield ndjsonLine(invoice);
              }
            })();
      reply
        .type(format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson")
        .header("content-disposition", attachment(`invoices.${format}`));
      return reply.send(Readable.from(lines));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/invoices/:id",
    {
      schema: {
        summary: "An invoice",
        description: "With its checks and its normalized form.",
        tags: ["invoices"],
        params: idParams,
        response: { 200: invoiceDetailSchema, ...errorResponses },
      },
    },
    async (request) =>
      invoiceDetailJson(await getInvoice(store, request.params.id, tenantScope(principalOf(request)))),
  );
}
