import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AWS_JSON_CONTENT_TYPE, type AwsJsonResponse, type AwsJsonService } from "../aws/json-protocol.js";

/**
 * The AWS endpoint: `POST /` with `X-Amz-Target: <Prefix>.<Operation>`, routed to the service
 * of that prefix (`AmazonSQS` now, `AWSStepFunctions` later: pass it in `services`).
 */

/**
 * A 1 MiB message may triple in size on the wire: JSON encoders that escape non-ASCII (botocore)
 * write `\uXXXX` for every 2- or 3-byte character. 4 MiB admits that and batch overhead.
 */
export const AWS_BODY_LIMIT = 4 * 1024 * 1024;

export interface AwsEndpointOptions {
  services: readonly AwsJsonService[];
  /** Base of the URLs handed out (queue URLs); default: what the caller used to reach us. */
  publicUrl?: string;
  /** Aborted when the server shuts down, ending every long poll. */
  shutdown: AbortSignal;
}

export async function awsEndpoint(app: FastifyInstance, options: AwsEndpointOptions): Promise<void> {
  const services = new Map(options.services.map((service) => [service.targetPrefix, service]));
  const publicUrl = options.publicUrl?.replace(/\/+$/, "");

  // Services decode the body themselves (malformed JSON is their error to report), and clients
  // disagree on the content type: take every body as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: AWS_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  /** The service and operation `X-Amz-Target` names; no service for an unknown or missing target. */
  function routeOf(request: FastifyRequest): { service?: AwsJsonService; operation: string } {
    const target = request.headers["x-amz-target"];
    const dot = typeof target === "string" ? target.indexOf(".") : -1;
    if (typeof target !== "string" || dot <= 0) return { operation: "" };
    return { service: services.get(target.slice(0, dot)), operation: target.slice(dot + 1) };
  }

  // What Fastify refuses before the handler (too large, bad content type) or a bug in a service.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "AWS endpoint failed");
    const failure =
      status === 413
        ? {
            status,
            name: "RequestEntityTooLarge",
            message: `The request body exceeds ${AWS_BODY_LIMIT} bytes.`,
          }
        : status >= 500
          ? { status, name: "InternalFailure", message: "The request processing has failed." }
          : { status, name: "MalformedRequest", message: error.message };
    const { service } = routeOf(request);
    send(
      reply,
      service ? service.reject(failure) : genericError(failure.status, failure.name, failure.message),
    );
  });

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const body = typeof request.body === "string" ? request.body : "";
    const { service, operation } = routeOf(request);
    if (!service) {
      const target = request.headers["x-amz-target"];
      if (target === undefined && isQueryProtocol(request, body)) {
        const requestId = randomUUID();
        send(reply, queryProtocolError(requestId), requestId);
      } else {
        send(reply, unknownTarget(String(target ?? "")));
      }
      return;
    }
    // The client hanging up ends its long poll; so does shutdown.
    const hangUp = new AbortController();
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) hangUp.abort();
    });
    const response = await service.handle(operation, body, {
      baseUrl: publicUrl ?? callerBaseUrl(request),
      signal: AbortSignal.any([hangUp.signal, options.shutdown]),
    });
    send(reply, response);
  }

  const route = { bodyLimit: AWS_BODY_LIMIT, handler: handle };
  app.post("/", route);
  // Older clients post to the queue URL itself.
  app.post("/:account(^\\d{12}$)/:queue", route);
}

function send(reply: FastifyReply, response: AwsJsonResponse, requestId: string = randomUUID()): void {
  reply
    .code(response.status)
    .headers({
      "content-type": response.contentType ?? AWS_JSON_CONTENT_TYPE,
      "x-amzn-RequestId": requestId,
      ...response.headers,
    })
    // A Buffer, so Fastify does not append `; charset=utf-8` to the content type AWS sends bare.
    .send(Buffer.from(response.body, "utf8"));
}

/** The origin the caller used, so the URLs we hand out reach us from where they are. */
function callerBaseUrl(request: FastifyRequest): string {
  const host = request.host || `${request.socket.localAddress}:${request.socket.localPort}`;
  return `${request.protocol}://${host}`;
}

function genericError(status: number, name: string, message: string): AwsJsonResponse {
  return { status, body: JSON.stringify({ __type: name, message }) };
}

function unknownTarget(target: string): AwsJsonResponse {
  return genericError(
    400,
    "UnknownOperationException",
    target === "" ? "Missing X-Amz-Target header." : `Unknown X-Amz-Target ${target}.`,
  );
}

/** Pre-2023 SDKs speak the query protocol (form-encoded `Action=...`, XML answers). */
function isQueryProtocol(request: FastifyRequest, body: string): boolean {
  return (
    String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") &&
    /(^|&)Action=/.test(body)
  );
}

/** Answered in XML so those SDKs can show the message instead of failing to parse JSON. */
function queryProtocolError(requestId: string): AwsJsonResponse {
  const message =
    "The AWS query protocol is not supported: use an SDK that speaks AWS JSON 1.0 (e.g. @aws-sdk/client-sqs 3.447.0 or later).";
  return {
    status: 400,
    contentType: "text/xml",
    body: `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
