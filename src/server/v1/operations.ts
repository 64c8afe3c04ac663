import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Queues } from "../../queues/types.js";
import type { States } from "../../states/engine.js";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../../states/types.js";
import { forbidden, principalOf } from "./auth.js";
import { executionJson } from "./representation.js";
import { errorResponses, executionSchema } from "./schemas.js";

/**
 * What an operator looks at across the whole deployment, for the dashboard's Queues and
 * Executions pages: every queue with its depths and dead-letter queue, a peek at a queue's
 * messages, redriving a dead-letter queue, and every state machine's executions, failed first.
 *
 * Queues and executions belong to the deployment, not to a tenant: only the service, or a caller
 * on this machine while no API key exists (the local, single-user setup), may use these routes.
 * A tenant's key gets 403.
 */
export interface OperationsOptions {
  queues: Queues;
  states: Pick<States, "machines" | "executions">;
}

const MAX_PEEK = 10;
/** How long peeked messages stay hidden before they are made visible again: long enough to read them all. */
const PEEK_VISIBILITY_SECONDS = 5;
const MAX_EXECUTIONS = 200;

function requireOperator(request: FastifyRequest): void {
  const principal = principalOf(request);
  if (principal.kind === "service" || (principal.kind === "tenant" && principal.local)) return;
  throw forbidden(
    "Queues and executions belong to the deployment: they are for the operator, not a tenant's key.",
  );
}

const depthNames = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "RedrivePolicy",
];

const queueSchema = {
  type: "object",
  required: ["name", "visible", "inFlight", "delayed"],
  properties: {
    name: { type: "string" },
    visible: { type: "integer" },
    inFlight: { type: "integer" },
    delayed: { type: "integer" },
    deadLetterQueue: { type: "string" },
    maxReceiveCount: { type: "integer" },
    deadLetterSourceQueues: { type: "array", items: { type: "string" } },
  },
} as const;

const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", maxLength: 80 } },
} as const;

export async function operationRoutes(app: FastifyInstance, options: OperationsOptions): Promise<void> {
  const { queues, states } = options;
  app.addHook("onRequest", async (request) => requireOperator(request));

  app.get(
    "/queues",
    {
      schema: {
        summary: "List queues with their depths",
        description:
          "Every queue: visible, in-flight and delayed messages, its dead-letter queue and maxReceiveCount, and, for a dead-letter queue, the queues that send to it.",
        tags: ["operations"],
        response: {
          200: {
            type: "object",
            required: ["queues"],
            properties: { queues: { type: "array", items: queueSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const names: string[] = [];
      for (let token: string | undefined; ; ) {
        const page = await queues.listQueues({ maxResults: 1000, ...(token ? { nextToken: token } : {}) });
        names.push(...page.names);
        if (!page.nextToken) break;
        token = page.nextToken;
      }
      const rows = [];
      const sources = new Map<string, string[]>();
      for (const name of names.sort()) {
        const attributes = await queues.getQueueAttributes(name, depthNames);
        const policy = attributes.RedrivePolicy
          ? (JSON.parse(attributes.RedrivePolicy) as {
              deadLetterTargetArn: string;
              maxReceiveCount: number | string;
            })
          : undefined;
        const deadLetterQueue = policy ? queues.nameFromArn(policy.deadLetterTargetArn) : undefined;
        if (deadLetterQueue) sources.set(deadLetterQueue, [...(sources.get(deadLetterQueue) ?? []), name]);
        rows.push({
          name,
          visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
          inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
          delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
          ...(deadLetterQueue ? { deadLetterQueue, maxReceiveCount: Number(policy!.maxReceiveCount) } : {}),
        });
      }
      return {
        queues: rows.map((row) =>
          sources.has(row.name) ? { ...row, deadLetterSourceQueues: sources.get(row.name)! } : row,
        ),
      };
    },
  );

  app.get<{ Params: { name: string }; Querystring: { limit: number } }>(
    "/queues/:name/messages",
    {
      schema: {
        summary: "Peek at a queue's messages",
        description:
          "Up to `limit` visible messages, made visible again at once. SQS has no read-only look: each peek counts as a receive, so on a queue with a redrive policy it brings a message nearer its dead-letter queue.",
        tags: ["operations"],
        params: nameParams,
        querystring: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 1, maximum: MAX_PEEK, default: MAX_PEEK } },
        },
        response: {
          200: {
            type: "object",
            required: ["messages"],
            properties: {
              messages: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    messageId: { type: "string" },
                    body: { type: "string" },
                    receiveCount: { type: "integer" },
                    sentAt: { type: "string" },
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
      const { name } = request.params;
      const received = await queues.receiveMessage(name, {
        maxNumberOfMessages: request.query.limit,
        visibilityTimeout: PEEK_VISIBILITY_SECONDS,
        waitTimeSeconds: 0,
      });
      await Promise.all(
        received.map((message) =>
          queues.changeMessageVisibility(name, message.receiptHandle, 0).catch(() => undefined),
        ),
      );
      return {
        messages: received.map((message) => ({
          messageId: message.messageId,
          body: message.body,
          receiveCount: Number(message.attributes.ApproximateReceiveCount ?? 1),
          ...(message.attributes.SentTimestamp
            ? { sentAt: new Date(Number(message.attributes.SentTimestamp)).toISOString() }
            : {}),
        })),
      };
    },
  );

  app.post<{ Params: { name: string } }>(
    "/queues/:name/redrive",
    {
      schema: {
        summary: "Redrive a dead-letter queue",
        description:
          "Moves its messages back to the queues they came from, as StartMessageMoveTask does; answers the task.",
        tags: ["operations"],
        params: nameParams,
        response: {
          202: { type: "object", required: ["taskHandle"], properties: { taskHandle: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      await queues.getQueue(request.params.name);
      const { taskHandle } = await queues.startMessageMoveTask({
        sourceArn: queues.arnOf(request.params.name),
      });
      return reply.code(202).send({ taskHandle });
    },
  );

  app.get<{ Querystring: { status?: ExecutionStatus; limit: number } }>(
    "/executions",
    {
      schema: {
        summary: "List executions of every state machine",
        description:
          "Newest first, of every state machine (not a distributed Map's iterations); with no `status`, the failed ones (FAILED, TIMED_OUT, ABORTED) come first.",
        tags: ["operations"],
        querystring: {
          type: "object",
          properties: {
            status: { type: "string", enum: [...EXECUTION_STATUSES] },
            limit: { type: "integer", minimum: 1, maximum: MAX_EXECUTIONS, default: 50 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["executions"],
            properties: { executions: { type: "array", items: executionSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { status, limit } = request.query;
      const machines = await states.machines.list();
      const statuses: (ExecutionStatus | undefined)[] = status
        ? [status]
        : ["FAILED", "TIMED_OUT", "ABORTED", undefined];
      const seen = new Set<string>();
      const found = [];
      for (const wanted of statuses) {
        const batch = [];
        for (const machine of machines) {
          batch.push(
            ...(await states.executions.list({
              stateMachineArn: machine.arn,
              limit,
              ...(wanted ? { status: wanted } : {}),
            })),
          );
        }
        batch.sort((a, b) => b.startDate - a.startDate);
        for (const execution of batch) {
          if (found.length >= limit) break;
          if (seen.has(execution.executionArn)) continue;
          seen.add(execution.executionArn);
          found.push(execution);
        }
      }
      return {
        executions: found.map(executionJson),
      };
    },
  );

  app.post<{ Body: { executionArn: string } }>(
    "/executions/redrive",
    {
      schema: {
        summary: "Redrive an execution",
        description:
          "A failed, timed-out or aborted execution goes on from where it stopped (RedriveExecution). For a container's, prefer POST /v1/containers/{id}/redrive, which also sets the container Processing.",
        tags: ["operations"],
        body: {
          type: "object",
          required: ["executionArn"],
          additionalProperties: false,
          properties: { executionArn: { type: "string", maxLength: 2048 } },
        },
        response: {
          202: { type: "object", properties: { redriveDate: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { redriveDate } = await states.executions.redrive(request.body.executionArn);
      return reply.code(202).send({ redriveDate: new Date(redriveDate).toISOString() });
    },
  );
}
