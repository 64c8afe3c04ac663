import { ServiceError } from "../../../states/service-errors.js";
import { checkArn } from "../arns.js";
import { boolean, decode, integer, requiredString, string } from "../input.js";
import {
  describedExecution,
  executionListItem,
  executionOutput,
  historyEventOutput,
  seconds,
} from "../output.js";
import { decodePageToken, encodePageToken } from "../page-tokens.js";
import type { SfnOperation } from "./call.js";

const stateMachineArn = () => requiredString({ min: 1, max: 256 });
const executionArn = () => requiredString({ min: 1, max: 256 });
const includedData = () => string({ enum: ["ALL_DATA", "METADATA_ONLY"] });
/** What StartExecution and StartSyncExecution share. */
const startMembers = () => ({
  stateMachineArn: stateMachineArn(),
  name: string({ min: 1, max: 80 }),
  input: string({ max: 262_144, sensitive: true }),
  // Inflow does no X-Ray tracing; the header is accepted and not kept.
  traceHeader: string({ max: 256 }),
});
/** ListExecutions and GetExecutionHistory treat a maxResults of 0 as "the default". */
const DEFAULT_PAGE_SIZE = 100;
/** The order AWS lists the statuses in when it rejects a statusFilter. */
const STATUS_FILTERS = ["SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING"] as const;

/**
 * Express executions are billed per 100 ms at 64 MB steps; Inflow bills nothing but reports what
 * AWS would, since callers read `billingDetails` off every StartSyncExecution answer.
 */
const BILLING_STEP_MILLIS = 100;
const BILLED_MEMORY_MB = 64;

const stateMachineTypeNotSupported = () =>
  new ServiceError(
    "StateMachineTypeNotSupported",
    "This operation is not supported by this type of state machine",
  );

/** Starting, inspecting, stopping and redriving executions. */
export const executionOperations: Record<string, SfnOperation> = {
  async StartExecution({ states, input }) {
    const request = decode(input, startMembers());
    const execution = await states.executions.start({
      stateMachineArn: checkArn(request.stateMachineArn, "stateMachine"),
      name: request.name,
      input: request.input,
    });
    return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
  },

  async StartSyncExecution({ states, input }) {
    const request = decode(input, { ...startMembers(), includedData: includedData() });
    const execution = await states.executions.startSync({
      stateMachineArn: checkArn(request.stateMachineArn, "stateMachine"),
      name: request.name,
      input: request.input,
    });
    const duration = (execution.stopDate ?? execution.startDate) - execution.startDate;
    return {
      ...executionOutput(execution, request.includedData !== "METADATA_ONLY"),
      billingDetails: {
        billedMemoryUsedInMB: BILLED_MEMORY_MB,
        billedDurationInMilliseconds:
          Math.max(1, Math.ceil(duration / BILLING_STEP_MILLIS)) * BILLING_STEP_MILLIS,
      },
    };
  },

  async DescribeExecution({ states, input }) {
    const request = decode(input, { executionArn: executionArn(), includedData: includedData() });
    const execution = await states.executions.describe(checkArn(request.executionArn, "execution"));
    return describedExecution(execution, request.includedData !== "METADATA_ONLY");
  },

  async ListExecutions({ states, input }) {
    const request = decode(input, {
      stateMachineArn: string({ min: 1, max: 256 }),
      statusFilter: string({ enum: STATUS_FILTERS }),
      maxResults: integer({ min: 0, max: 1000 }),
      nextToken: string({ min: 1, max: 3096 }),
      mapRunArn: string({ min: 1, max: 2048 }),
      redriveFilter: string({ enum: ["REDRIVEN", "NOT_REDRIVEN"] }),
    });
    if (request.stateMachineArn === undefined && request.mapRunArn === undefined) {
      throw new ServiceError("ValidationException", "Must provide a StateMachine ARN or a MapRun ARN");
    }
    const mapRunArn = request.mapRunArn === undefined ? undefined : checkArn(request.mapRunArn, "mapRun");
    const machineArn =
      mapRunArn === undefined ? checkArn(request.stateMachineArn ?? "", "stateMachine") : undefined;
    if (machineArn !== undefined && (await states.machines.byArn(machineArn)).type === "EXPRESS") {
      throw stateMachineTypeNotSupported();
    }
    const listing = `executions:${mapRunArn ?? machineArn}:${request.statusFilter ?? ""}`;
    const limit = request.maxResults || DEFAULT_PAGE_SIZE;
    const after =
      request.nextToken === undefined ? undefined : Number(decodePageToken(request.nextToken, listing));
    // One more than a page tells whether another page follows.
    const query = { status: request.statusFilter, limit: limit + 1, afterId: after };
    const found = await states.executions.list(
      mapRunArn !== undefined ? { ...query, mapRunArn } : { ...query, stateMachineArn: machineArn! },
    );
    const page = found.slice(0, limit);
    // The redrive filter applies to each page, so a page may come back shorter than maxResults.
    const redriven = request.redriveFilter === undefined ? undefined : request.redriveFilter === "REDRIVEN";
    return {
      executions: page
        .filter((execution) => redriven === undefined || execution.redriveCount > 0 === redriven)
        .map(executionListItem),
      nextToken: found.length > limit ? encodePageToken(listing, page.at(-1)!.id) : undefined,
    };
  },

  async GetExecutionHistory({ states, input }) {
    const request = decode(input, {
      executionArn: executionArn(),
      maxResults: integer({ min: 0, max: 1000 }),
      reverseOrder: boolean(),
      nextToken: string({ min: 1, max: 1024 }),
      includeExecutionData: boolean(),
    });
    const arn = checkArn(request.executionArn, "execution");
    const reverse = request.reverseOrder ?? false;
    const listing = `history:${arn}:${reverse ? "reverse" : "forward"}`;
    const limit = request.maxResults || DEFAULT_PAGE_SIZE;
    const after =
      request.nextToken === undefined ? undefined : Number(decodePageToken(request.nextToken, listing));
    const found = await states.executions.history(arn, { afterId: after, limit: limit + 1, reverse });
    const page = found.slice(0, limit);
    return {
      events: page.map((event) => historyEventOutput(event, request.includeExecutionData ?? true)),
      nextToken: found.length > limit ? encodePageToken(listing, page.at(-1)!.id) : undefined,
    };
  },

  async StopExecution({ states, input }) {
    const request = decode(input, {
      executionArn: executionArn(),
      error: string({ max: 256, sensitive: true }),
      cause: string({ max: 32_768, sensitive: true }),
    });
    const { stopDate } = await states.executions.stop(checkArn(request.executionArn, "execution"), {
      error: request.error,
      cause: request.cause,
    });
    return { stopDate: seconds(stopDate) };
  },

  async RedriveExecution({ states, input }) {
    const request = decode(input, {
      executionArn: executionArn(),
      // Accepted for the SDK, which fills it in; a redrive of a running execution fails anyway.
      clientToken: string({ min: 1, max: 64 }),
    });
    const { redriveDate } = await states.executions.redrive(checkArn(request.executionArn, "execution"));
    return { redriveDate: seconds(redriveDate) };
  },

  async DescribeMapRun({ states, input }) {
    const request = decode(input, { mapRunArn: requiredString({ min: 1, max: 2048 }) });
    const run = await states.mapRuns.describe(checkArn(request.mapRunArn, "mapRun"));
    return {
      ...run,
      startDate: seconds(run.startDate),
      stopDate: run.stopDate === undefined ? undefined : seconds(run.stopDate),
      redriveDate: run.redriveDate === undefined ? undefined : seconds(run.redriveDate),
    };
  },

  async ListMapRuns({ states, input }) {
    const request = decode(input, {
      executionArn: executionArn(),
      maxResults: integer({ min: 0, max: 1000 }),
      nextToken: string({ min: 1, max: 3096 }),
    });
    const arn = checkArn(request.executionArn, "execution");
    const listing = `map-runs:${arn}`;
    const limit = request.maxResults || DEFAULT_PAGE_SIZE;
    const after =
      request.nextToken === undefined ? undefined : Number(decodePageToken(request.nextToken, listing));
    const found = await states.mapRuns.list(arn, { limit: limit + 1, afterId: after });
    const page = found.slice(0, limit);
    return {
      mapRuns: page.map(({ id: _id, ...run }) => ({
        ...run,
        startDate: seconds(run.startDate),
        stopDate: run.stopDate === undefined ? undefined : seconds(run.stopDate),
      })),
      nextToken: found.length > limit ? encodePageToken(listing, page.at(-1)!.id) : undefined,
    };
  },
};
