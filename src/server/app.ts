import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { lambdaEndpoint } from "../aws/lambda/endpoint.js";
import { createSfnService } from "../aws/sfn/service.js";
import { createSqsService } from "../aws/sqs/service.js";
import type { Functions } from "../functions/registry.js";
import type { Queues } from "../queues/types.js";
import type { States } from "../states/engine.js";
import { awsEndpoint } from "./aws-endpoint.js";
import { healthRoute } from "./health.js";
import { type V1Options, v1Api } from "./v1/index.js";
import { webDashboard } from "./web.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 4566;

/** How long closing waits for requests in flight before cutting their connections. */
const DRAIN_MILLIS = 10_000;

export interface ServerOptions {
  queues: Queues;
  /** The workflow engine behind the Step Functions API; without it only SQS is served. */
  states?: States;
  /** The function registry behind the Lambda API (Invoke, ListFunctions); without it no Lambda routes. */
  functions?: Functions;
  /** The containers and invoices services under `/v1`; without them no `/v1` routes. */
  v1?: V1Options;
  /** Base of the queue URLs handed out; default: the origin each caller used (its Host header). */
  publicUrl?: string;
  logger?: FastifyServerOptions["logger"];
}

/**
 * The HTTP server: the AWS endpoints (SQS and Step Functions over AWS JSON 1.0, Lambda over
 * REST-JSON), the containers and invoices services (`/v1`) and `/health`. Closing it ends pending long polls at once
 * (they answer with no messages), lets the requests in flight answer, then drops every
 * connection; the queues and the store stay open for the caller to close.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // Keep-alive connections would hold `close` up for their timeout: once drained, cut them all.
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  const shutdown = new AbortController();
  const inFlight = trackInFlight(app);
  app.addHook("preClose", async () => {
    shutdown.abort();
    await inFlight.drained(DRAIN_MILLIS);
  });

  const onInternalError = (error: unknown) => app.log.error(error);
  await app.register(awsEndpoint, {
    services: [
      createSqsService({ queues: options.queues, onInternalError }),
      ...(options.states ? [createSfnService({ states: options.states, onInternalError })] : []),
    ],
    publicUrl: options.publicUrl,
    shutdown: shutdown.signal,
  });
  if (options.functions) await app.register(lambdaEndpoint, { functions: options.functions });
  if (options.v1) await app.register(v1Api, options.v1);
  await app.register(healthRoute);
  // Last: the dashboard answers the paths nothing else claims (its own routes, client-side).
  await app.register(webDashboard);
  return app;
}

function trackInFlight(app: FastifyInstance): { drained(timeoutMillis: number): Promise<void> } {
  let count = 0;
  let onIdle: (() => void) | undefined;
  app.addHook("onRequest", async (_request, reply) => {
    count += 1;
    // `close` fires whether the answer was sent or the client went away.
    reply.raw.once("close", () => {
      count -= 1;
      if (count === 0) onIdle?.();
    });
  });
  return {
    drained: (timeoutMillis) =>
      count === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeoutMillis);
            onIdle = () => {
              clearTimeout(timer);
              resolve();
            };
          }),
  };
}
