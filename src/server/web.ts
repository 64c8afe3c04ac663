import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface WebDashboardOptions {
  /** The built dashboard (index.html and assets/); default `dist/web` of the package this file belongs to. */
  root?: string;
}

export const NOT_BUILT_MESSAGE = "The dashboard is not built: run npm run build";

/**
 * `dist/web` of the package holding this file, found by walking up to its package.json: this
 * file is `src/server/web.ts` under tsx and `dist/server/web.js` once compiled, at the same depth
 * today but not by contract.
 */
export function defaultWebRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "web");
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(from), "..", "..", "dist", "web");
    dir = parent;
  }
}

/** Paths that are never the dashboard's, whatever they ask for: the APIs, the AWS endpoints, health. */
const NOT_DASHBOARD = [
  /^\/v1(\/|$)/,
  /^\/health(\/|$)/,
  // Lambda's REST paths (`/2015-03-31/functions/...`) and SQS queue URLs (`/ACCOUNT/QUEUE`).
  /^\/\d{4}-\d{2}-\d{2}\//,
  /^\/\d{12}(\/|$)/,
  /^\/assets\//,
];

/** A GET of a page: index.html answers it, and the dashboard's router draws the page. */
function isPageRequest(request: FastifyRequest): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const path = request.url.split("?")[0] ?? "/";
  if (NOT_DASHBOARD.some((pattern) => pattern.test(path))) return false;
  // A file name (favicon.ico, robots.txt) that is not there is a 404, not the dashboard.
  if (/\.[A-Za-z0-9]+$/.test(path)) return false;
  const accept = request.headers.accept ?? "";
  return accept === "" || accept.includes("text/html") || accept.includes("*/*");
}

function notFound(request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({
    message: `Route ${request.method}:${request.url} not found`,
    error: "Not Found",
    statusCode: 404,
  });
}

/**
 * The dashboard (web/, built by `npm run build` into dist/web) at `/`: its files, and index.html
 * for any other page path (the dashboard routes in the browser), never for `/v1`, `/health` or the
 * AWS endpoints, which keep their JSON 404s. Unbuilt, its pages answer 503 saying how to build it.
 * Register at the root, after the APIs: `app.register(webDashboard)`.
 */
export async function webDashboard(app: FastifyInstance, options: WebDashboardOptions = {}): Promise<void> {
  const root = options.root ?? defaultWebRoot();
  const built = existsSync(join(root, "index.html"));

  if (!built) {
    const notBuilt = (_request: FastifyRequest, reply: FastifyReply) =>
      reply.code(503).type("text/plain; charset=utf-8").send(`${NOT_BUILT_MESSAGE}\n`);
    app.get("/", notBuilt);
    app.setNotFoundHandler((request, reply) =>
      isPageRequest(request) ? notBuilt(request, reply) : notFound(request, reply),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    // One route per built file, found at start: nothing else is answered from the disk.
    wildcard: false,
    index: false,
    setHeaders: (reply, path) => {
      // Vite names assets by their content: they never change under the same name.
      if (path.includes(`${join(root, "assets")}`)) {
        reply.header("cache-control", "public, max-age=31536000, immutable");
      }
    },
  });
  const sendIndex = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header("cache-control", "no-cache").sendFile("index.html", root);
  app.get("/", sendIndex);
  app.setNotFoundHandler((request, reply) =>
    isPageRequest(request) ? sendIndex(request, reply) : notFound(request, reply),
  );
}
