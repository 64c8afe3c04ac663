import type { FastifyInstance } from "fastify";
import { getContainer } from "../../invoices/containers.js";
import { InvoicesError } from "../../invoices/errors.js";
import type { States } from "../../states/engine.js";
import type { ExecutionDescription } from "../../states/executions.js";
import type { HistoryEvent } from "../../states/history.js";
import { type IterationCounts, STATE_STATUSES, stateOutcomes } from "../../states/state-statuses.js";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../../states/types.js";
import type { Store } from "../../store/types.js";
import { principalOf, tenantScope } from "./auth.js";
import { executionJson } from "./representation.js";
import { errorResponses, executionSchema, idParams } from "./schemas.js";

/**
 * A container's execution as the dashboard draws it: `GET /v1/containers/{id}/execution` (the
 * state machine's definition, and what became of each state) and `GET
 * /v1/containers/{id}/history` (its events, or its failures only). Tenant-scoped like the
 * container itself.
 */
export interface ExecutionReader {
  describe(executionArn: string): Promise<ExecutionDescription>;
  history(executionArn: string, page: { afterId?: number; limit: number }): Promise<HistoryEvent[]>;
  definitionOf(stateMachineArn: string): Promise<string>;
  /** A distributed Map's iterations, by the Map's label (its state name unless it sets Label). */
  mapRunCounts(executionArn: string): Promise<Map<string, IterationCounts>>;
  /** The iterations (child executions) of an execution's distributed Map with this label, newest first. */
  iterations(
    executionArn: string,
    label: string,
    filter: { status?: ExecutionStatus; limit: number },
  ): Promise<ExecutionDescription[]>;
  /** The labels of an execution's map runs, by map run ARN. */
  mapRunLabels(executionArn: string): Promise<Map<string, string>>;
}

/** A map run's iterations run a state machine named `<parent>/<label>`. */
const labelOf = (iterationMachineArn: string) => iterationMachineArn.split("/").pop()!;

/** The reader over the workflow engine. */
export function executionReaderOf(
  states: Pick<States, "executions" | "machines" | "mapRuns">,
): ExecutionReader {
  return {
    describe: (arn) => states.executions.describe(arn),
    history: (arn, page) => states.executions.history(arn, page),
    definitionOf: async (arn) => (await states.machines.byArn(arn)).definitionText,
    async iterations(executionArn, label, filter) {
      const found: ExecutionDescription[] = [];
      for (const run of await states.mapRuns.list(executionArn, { limit: 100 })) {
        if (labelOf(run.stateMachineArn) !== label) continue;
        found.push(
          ...(await states.executions.list({
            mapRunArn: run.mapRunArn,
            limit: filter.limit,
            ...(filter.status ? { status: filter.status } : {}),
          })),
        );
      }
      return found.sort((a, b) => b.startDate - a.startDate).slice(0, filter.limit);
    },
    async mapRunLabels(executionArn) {
      const runs = await states.mapRuns.list(executionArn, { limit: 100 });
      return new Map(runs.map((run) => [run.mapRunArn, labelOf(run.stateMachineArn)]));
    },
    async mapRunCounts(executionArn) {
      const counts = new Map<string, IterationCounts>();
      for (const run of await states.mapRuns.list(executionArn, { limit: 100 })) {
        const { itemCounts } = await states.mapRuns.describe(run.mapRunArn);
        counts.set(labelOf(run.stateMachineArn), {
          total: itemCounts.total,
          succeeded: itemCounts.succeeded,
          failed: itemCounts.failed + itemCounts.timedOut + itemCounts.aborted,
          running: itemCounts.running + itemCounts.pending,
        });
      }
      return counts;
    },
  };
}

/** History is read in pages of this many events while looking for failures. */
const HISTORY_PAGE = 500;
const FAILURE = /(Failed|TimedOut|Aborted)$/;

const iso = (millis: number | undefined) =>
  millis === undefined ? undefined : new Date(millis).toISOString();

const outcomeSchema = {
  type: "object",
  required: ["status"],
  properties: {
    status: { type: "string", enum: [...STATE_STATUSES] },
    enteredAt: { type: "string" },
    exitedAt: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    error: { type: "string" },
    cause: { type: "string" },
    iterations: {
      type: "object",
      properties: {
        total: { type: "integer" },
        succeeded: { type: "integer" },
        failed: { type: "integer" },
        running: { type: "integer" },
      },
    },
  },
} as const;

const eventSchema = {
  type: "object",
  required: ["id", "type", "timestamp"],
  properties: {
    id: { type: "integer" },
    previousEventId: { type: "integer" },
    type: { type: "string" },
    timestamp: { type: "string" },
    stateName: { type: "string" },
    details: { type: "object", additionalProperties: true },
  },
} as const;

interface DefinitionShape {
  StartAt?: string;
  States: Record<
    string,
    {
      Type?: string;
      Label?: string;
      ItemProcessor?: DefinitionShape & { ProcessorConfig?: { Mode?: string } };
    }
  >;
}

const iterationNotFound = (id: string) =>
  new InvoicesError("IterationNotFound", `No such iteration of container ${id}'s execution.`, 404);

export async function executionRoutes(
  app: FastifyInstance,
  options: { store: Store; executions: ExecutionReader },
): Promise<void> {
  const { store, executions } = options;

  /** The container's current execution; a container not started yet has none. */
  const executionOf = async (id: string, tenantId: string | undefined) => {
    const container = await getContainer(store, id, tenantId);
    if (container.executionArn === undefined) {
      throw new InvoicesError("ExecutionNotStarted", `Container ${id} has no execution yet.`, 404);
    }
    return container.executionArn;
  };

  /**
   * The execution a request is about, with the definition it runs: the container's own, or (with
   * `iteration`) one iteration of its distributed Map, which runs the Map's ItemProcessor. Only an
   * iteration whose map run is one of the container's execution's is found.
   */
  const executionShown = async (id: string, tenantId: string | undefined, iteration: string | undefined) => {
    const parentArn = await executionOf(id, tenantId);
    const parent = await executions.describe(parentArn);
    const definition = JSON.parse(await executions.definitionOf(parent.stateMachineArn)) as DefinitionShape;
    if (iteration === undefined) return { execution: parent, definition };
    const child = await executions.describe(iteration).catch(() => undefined);
    const label = child?.mapRunArn
      ? (await executions.mapRunLabels(parentArn)).get(child.mapRunArn)
      : undefined;
    const map = Object.entries(definition.States).find(
      ([name, state]) => (state.Label ?? name) === label,
    )?.[1];
    if (!child || !map?.ItemProcessor) throw iterationNotFound(id);
    return { execution: child, definition: map.ItemProcessor as DefinitionShape };
  };

  app.get<{ Params: { id: string }; Querystring: { iteration?: string } }>(
    "/containers/:id/execution",
    {
      schema: {
        summary: "A container's execution, state by state",
        description:
          "The state machine's definition, and each top-level state's outcome: succeeded, caught, failed, running or notReached, with its input, output and error; a Map's iterations. With `iteration` (an iteration's execution ARN, from /iterations), that iteration of a distributed Map instead, drawn from the Map's ItemProcessor.",
        tags: ["containers"],
        params: idParams,
        querystring: {
          type: "object",
          properties: { iteration: { type: "string", maxLength: 2048 } },
        },
        response: {
          200: {
            type: "object",
            required: ["execution", "definition", "states"],
            properties: {
              execution: executionSchema,
              definition: { type: "object", additionalProperties: true },
              states: { type: "object", additionalProperties: outcomeSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { execution, definition } = await executionShown(
        request.params.id,
        tenantScope(principalOf(request)),
        request.query.iteration,
      );
      const arn = execution.executionArn;
      const history: HistoryEvent[] = [];
      for (let afterId = 0; ; ) {
        const page = await executions.history(arn, { afterId, limit: HISTORY_PAGE });
        history.push(...page);
        if (page.length < HISTORY_PAGE) break;
        afterId = page[page.length - 1]!.id;
      }
      const outcomes = stateOutcomes(Object.keys(definition.States), history, execution.status);
      const distributed = Object.entries(definition.States).filter(
        ([, state]) => state.Type === "Map" && state.ItemProcessor?.ProcessorConfig?.Mode === "DISTRIBUTED",
      );
      if (distributed.length > 0) {
        const counts = await executions.mapRunCounts(arn);
        for (const [name, state] of distributed) {
          const iterations = counts.get(state.Label ?? name);
          if (iterations && outcomes[name]) outcomes[name].iterations = iterations;
        }
      }
      return {
        execution: executionJson(execution),
        definition,
        states: Object.fromEntries(
          Object.entries(outcomes).map(([name, outcome]) => [
            name,
            { ...outcome, enteredAt: iso(outcome.enteredAt), exitedAt: iso(outcome.exitedAt) },
          ]),
        ),
      };
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: { state: string; status?: ExecutionStatus; limit: number };
  }>(
    "/containers/:id/iterations",
    {
      schema: {
        summary: "A distributed Map's iterations",
        description:
          "The iterations (child executions) of the container's execution's distributed Map `state`, newest first; open one with /execution?iteration=ARN.",
        tags: ["containers"],
        params: idParams,
        querystring: {
          type: "object",
          required: ["state"],
          properties: {
            state: { type: "string", maxLength: 80 },
            status: { type: "string", enum: [...EXECUTION_STATUSES] },
            limit: { type: "integer", minimum: 1, maximum: HISTORY_PAGE, default: 100 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["iterations"],
            properties: { iterations: { type: "array", items: executionSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const arn = await executionOf(request.params.id, tenantScope(principalOf(request)));
      const { state, status, limit } = request.query;
      const definition = JSON.parse(
        await executions.definitionOf((await executions.describe(arn)).stateMachineArn),
      ) as DefinitionShape;
      const map = definition.States[state];
      if (map?.Type !== "Map") {
        throw new InvoicesError("InvalidRequest", `${state} is not a Map state of this execution.`, 400);
      }
      const found = await executions.iterations(arn, map.Label ?? state, {
        limit,
        ...(status ? { status } : {}),
      });
      return { iterations: found.map(executionJson) };
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: { failuresOnly?: boolean; limit: number; cursor?: number; iteration?: string };
  }>(
    "/containers/:id/history",
    {
      schema: {
        summary: "A container's execution history",
        description:
          "Its events, oldest first, paged by `cursor` (the last event id seen); `failuresOnly` keeps the events that failed or timed out; `iteration` reads one of its distributed Map's iterations instead.",
        tags: ["containers"],
        params: idParams,
        querystring: {
          type: "object",
          properties: {
            failuresOnly: { type: "boolean", default: false },
            limit: { type: "integer", minimum: 1, maximum: HISTORY_PAGE, default: 100 },
            cursor: { type: "integer", minimum: 0 },
            iteration: { type: "string", maxLength: 2048 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["events"],
            properties: { events: { type: "array", items: eventSchema }, nextCursor: { type: "string" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { failuresOnly, limit, cursor } = request.query;
      const arn = (
        await executionShown(request.params.id, tenantScope(principalOf(request)), request.query.iteration)
      ).execution.executionArn;
      const events: HistoryEvent[] = [];
      let afterId = cursor ?? 0;
      let more = true;
      while (events.length < limit && more) {
        const page = await executions.history(arn, { afterId, limit: failuresOnly ? HISTORY_PAGE : limit });
        more = page.length === (failuresOnly ? HISTORY_PAGE : limit);
        for (const event of page) {
          afterId = event.id;
          if (!failuresOnly || FAILURE.test(event.type)) events.push(event);
          if (events.length === limit) {
            more = event !== page[page.length - 1] || more;
            break;
          }
        }
      }
      return {
        events: events.map((event) => ({
          id: event.id,
          previousEventId: event.previousEventId,
          type: event.type,
          timestamp: iso(event.timestamp)!,
          ...(typeof event.details?.name === "string" ? { stateName: event.details.name } : {}),
          ...(event.details ? { details: event.details } : {}),
        })),
        ...(more ? { nextCursor: String(afterId) } : {}),
      };
    },
  );
}
