import { REPORT_BATCH_ITEM_FAILURES } from "../functions/mappings.js";
import type { Functions } from "../functions/registry.js";
import type { FunctionRuntime } from "../functions/runtime.js";
import type { Queues } from "../queues/types.js";
import type { States } from "../states/engine.js";
import { createPipelineApi } from "./api-client.js";
import { createInvoice } from "./create-invoice.js";
import { DIGITIZE, digitizeDefinition } from "./definition.js";
import { executionStatus } from "./execution-status.js";
import { DEAD_LETTER_SUFFIX, handleDeadLetter } from "./handle-dead-letter.js";
import { parseFile } from "./parse-file.js";
import { postInvoiceCreation } from "./post-invoice-creation.js";
import { setFileAsProcessing } from "./set-file-as-processing.js";
import { type PipelineSettings, pipelineSettings } from "./settings.js";
import { inProcessAnswers, type TaskAnswers } from "./task-answers.js";
import { verify } from "./verify.js";

/** The queues whose messages carry a task token, each with the function that answers it. */
export const TASK_QUEUES = Object.freeze({
  "process-file": "set-file-as-processing",
  "create-invoice": "create-invoice",
  "post-invoice-creation": "post-invoice-creation",
  verify: "verify",
} as const);

/** Where the digitize executions' status change events go, and the function that reads them. */
export const STATUS_QUEUE = "execution-status";

export const PIPELINE_QUEUES = Object.freeze([...Object.keys(TASK_QUEUES), STATUS_QUEUE]);

/**
 * The longest SQS keeps a message. Dead letters are kept that long, so an operator can look at them
 * or move them back; so are status events, which are never dead-lettered: one that gave up would
 * leave its container New or Processing for good behind a failed execution, so a status event is
 * tried again, every visibility timeout, until the containers service answers.
 */
const LONGEST_RETENTION_SECONDS = "1209600";

export interface PipelineTargets {
  queues: Queues;
  states: States;
  runtime: FunctionRuntime;
  functions: Functions;
  /** The containers and invoices services the functions call, and the key they call them with. */
  api: { url: string; serviceKey: string };
  /** How the functions answer tasks; default: this process's engine (`states.tasks`). */
  answers?: TaskAnswers;
  settings?: Partial<PipelineSettings>;
}

/** Creates a queue unless it exists; an existing queue keeps its attributes, whatever they are now. */
async function ensureQueue(queues: Queues, name: string, attributes: Record<string, string>): Promise<void> {
  const exists = await queues.getQueue(name).then(
    () => true,
    (error: Error) => {
      if (error.name === "QueueDoesNotExist") return false;
      throw error;
    },
  );
  if (exists) return;
  await queues.createQueue(name, attributes).catch((error: Error) => {
    // Created meanwhile by another process, or by an operator with other attributes: it stays as it is.
    if (error.name !== "QueueNameExists") throw error;
  });
}

/** Registers the pipeline's functions in this process's registry, over one API client. */
function registerFunctions(targets: PipelineTargets, settings: PipelineSettings): void {
  const { functions, queues } = targets;
  const api = createPipelineApi({
    ...targets.api,
    requestTimeoutMillis: settings.requestTimeoutMillis,
    transferTimeoutMillis: settings.transferTimeoutMillis,
  });
  const answers = targets.answers ?? inProcessAnswers(targets.states);
  const queueFunction = { timeoutSeconds: settings.functionTimeoutSeconds };
  functions.register("set-file-as-processing", setFileAsProcessing({ api, answers }), queueFunction);
  functions.register("parse-file", parseFile({ api, chunkSize: settings.chunkSize }), {
    timeoutSeconds: settings.parseTimeoutSeconds,
  });
  functions.register("create-invoice", createInvoice({ api, answers }), queueFunction);
  functions.register("post-invoice-creation", postInvoiceCreation({ api, answers }), queueFunction);
  functions.register("verify", verify({ api, answers }), queueFunction);
  functions.register("handle-dead-letter", handleDeadLetter({ answers, queues }), queueFunction);
  functions.register("execution-status", executionStatus({ api }), queueFunction);
}

/**
 * Installs the digitize pipeline, idempotently, so every process of a deployment may do it at its
 * start: the queues with their dead-letter queues and redrive policies (created when missing), the
 * functions in this process's registry, the `digitize` state machine at the shipped definition with
 * its status events going to `execution-status`, and the event-source mappings. Returns the state
 * machine's ARN.
 */
export async function installPipeline(targets: PipelineTargets): Promise<string> {
  const settings = pipelineSettings(targets.settings);
  const { queues, states, runtime } = targets;

  for (const name of Object.keys(TASK_QUEUES)) {
    const deadLetterQueue = `${name}${DEAD_LETTER_SUFFIX}`;
    await ensureQueue(queues, deadLetterQueue, {
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      MessageRetentionPeriod: LONGEST_RETENTION_SECONDS,
    });
    await ensureQueue(queues, name, {
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: queues.arnOf(deadLetterQueue),
        maxReceiveCount: settings.maxReceiveCount,
      }),
    });
  }

  await ensureQueue(queues, STATUS_QUEUE, {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: LONGEST_RETENTION_SECONDS,
  });
  // Installed by an earlier version with a dead-letter queue: never again.
  await queues.setQueueAttributes(STATUS_QUEUE, { RedrivePolicy: "" });

  registerFunctions(targets, settings);

  const definition = digitizeDefinition({
    region: queues.region,
    accountId: queues.accountId,
    mapConcurrency: settings.mapConcurrency,
  });
  const arn = states.machines.arnOf(DIGITIZE);
  const existing = await states.machines.byArn(arn).catch((error: Error) => {
    if (error.name === "StateMachineDoesNotExist") return undefined;
    throw error;
  });
  if (!existing) {
    await states.machines.create({ name: DIGITIZE, definition, statusEventsQueue: STATUS_QUEUE });
  } else if (existing.definitionText !== definition || existing.statusQueue !== STATUS_QUEUE) {
    await states.machines.update(arn, { definition, statusEventsQueue: STATUS_QUEUE });
  }

  // Not a resource file's: applying one (which disables the mappings it no longer names) leaves these alone.
  const BUILT_IN = { fromResourceFile: false };
  const mapping = {
    batchSize: settings.batchSize,
    // Lambda takes batches over 10 messages only with a batching window; the shortest one serves.
    maximumBatchingWindowInSeconds: settings.batchSize > 10 ? 1 : 0,
    functionResponseTypes: [REPORT_BATCH_ITEM_FAILURES],
  };
  for (const [queue, functionName] of Object.entries(TASK_QUEUES)) {
    await runtime.mappings.declare({ queue, functionName, ...mapping }, BUILT_IN);
    await runtime.mappings.declare(
      { queue: `${queue}${DEAD_LETTER_SUFFIX}`, functionName: "handle-dead-letter", ...mapping },
      BUILT_IN,
    );
  }
  await runtime.mappings.declare(
    { queue: STATUS_QUEUE, functionName: "execution-status", ...mapping },
    BUILT_IN,
  );
  return arn;
}
