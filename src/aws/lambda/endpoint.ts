import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { type Functions, MAX_REQUEST_BYTES } from "../../functions/registry.js";
import { type LambdaError, lambdaError, validationError } from "./errors.js";
import { MAX_FUNCTION_NAME_LENGTH, MAX_QUALIFIER_LENGTH } from "./function-name.js";
import { INVOCATION_TYPES, type InvocationType, invoke } from "./invoke.js";
import { listFunctions, MAX_ITEMS_LIMIT, MAX_MARKER_LENGTH } from "./list-functions.js";

/**
 * The Lambda API (REST-JSON, API version 2015-03-31) over the function registry: Invoke and
 * ListFunctions, enough for `inflow functions` and for programs using @aws-sdk/client-lambda.
 */

export interface LambdaEndpointOptions {
  functions: Functions;
}

const API = "/2015-03-31/functions";

export async function lambdaEndpoint(app: FastifyInstance, options: LambdaEndpointOptions): Promise<void> {
  const { functions } = options;

  // The payload is whatever bytes the caller sent (the SDK labels them application/octet-stream,
  // curl often form-encoded): decode it as JSON ourselves, so a bad payload gets Lambda's error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_REQUEST_BYTES }, (_request, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      send(reply, validationError(error.message));
      return;
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status === 413) {
      send(
        reply,
        lambdaError(
          413,
          "RequestTooLargeException",
          `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the InvokeFunction operation`,
        ),
      );
    } else if (status >= 500) {
      request.log.error({ err: error }, "Lambda endpoint failed");
      send(reply, lambdaError(500, "ServiceException", "The request processing has failed."));
    } else {
      send(reply, lambdaError(status, "InvalidRequestContentException", error.message));
    }
  });

  app.post<{
    Params: { FunctionName: string };
    Querystring: { Qualifier?: string };
    Headers: { "x-amz-invocation-type"?: InvocationType };
  }>(
    `${API}/:FunctionName/invocations`,
    {
      bodyLimit: MAX_REQUEST_BYTES,
      schema: {
        params: {
          type: "object",
          properties: {
            FunctionName: { type: "string", minLength: 1, maxLength: MAX_FUNCTION_NAME_LENGTH },
          },
        },
        querystring: {
          type: "object",
          properties: {
            Qualifier: {
              type: "string",
              minLength: 1,
              maxLength: MAX_QUALIFIER_LENGTH,
              pattern: "^[a-zA-Z0-9$_-]+$",
            },
          },
        },
        headers: {
          type: "object",
          properties: { "x-amz-invocation-type": { type: "string", enum: [...INVOCATION_TYPES] } },
        },
      },
    },
    async (request, reply) => {
      const answer = await invoke(functions, {
        functionName: request.params.FunctionName,
        qualifier: request.query.Qualifier,
        invocationType: request.headers["x-amz-invocation-type"],
        payload: Buffer.isBuffer(request.body) ? request.body : undefined,
      });
      if ("name" in answer) {
        send(reply, answer);
        return;
      }
      reply.code(answer.status).headers({ ...answer.headers, "x-amzn-RequestId": randomUUID() });
      if (answer.body === undefined) reply.send();
      // A Buffer, so Fastify sends the JSON as it is, with the content type Lambda uses.
      else reply.type("application/json").send(Buffer.from(answer.body, "utf8"));
    },
  );

  // The SDK asks for `/functions/` (with the slash); curl users type it without.
  for (const url of [API, `${API}/`]) {
    app.get<{ Querystring: { MaxItems?: number; Marker?: string } }>(
      url,
      {
        schema: {
          querystring: {
            type: "object",
            properties: {
              MaxItems: { type: "integer", minimum: 1, maximum: MAX_ITEMS_LIMIT },
              Marker: { type: "string", maxLength: MAX_MARKER_LENGTH },
            },
          },
        },
      },
      async (request, reply) => {
        const page = listFunctions(functions, {
          maxItems: request.query.MaxItems,
          marker: request.query.Marker,
        });
        reply
          .headers({ "x-amzn-RequestId": randomUUID() })
          .type("application/json")
          .send(JSON.stringify(page));
      },
    );
  }
}

function send(reply: FastifyReply, error: LambdaError): void {
  reply
    .code(error.status)
    .headers({ "x-amzn-ErrorType": error.name, "x-amzn-RequestId": randomUUID() })
    .type("application/json")
    .send(JSON.stringify({ Type: error.type, message: error.message }));
}
