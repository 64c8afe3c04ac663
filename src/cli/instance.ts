import { applyResources, describeApplied, registerFunctions } from "../config/apply.js";
import { loadResourceFile } from "../config/load.js";
import { FunctionsError } from "../functions/errors.js";
import type { Functions } from "../functions/registry.js";
import { createFunctionRuntime, type FunctionRuntime, isFunctionFailure } from "../functions/runtime.js";
import { startSourceScheduler } from "../ingest/scheduler.js";
import { createSecretReader } from "../ingest/secrets.js";
import { serviceKey } from "../invoices/service-key.js";
import { createPipelineStarter, type PipelineStarter } from "../invoices/starter.js";
import { DIGITIZE } from "../pipeline/definition.js";
import { installPipeline } from "../pipeline/install.js";
import type { PipelineSettings } from "../pipeline/settings.js";
import { tunePipelineQueues } from "../pipeline/tune.js";
import { QueueError } from "../queues/errors.js";
import { createQueues } from "../queues/service.js";
import type { Queues } from "../queues/types.js";
import { createStates, type States } from "../states/engine.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/types.js";
import { CliError } from "./errors.js";
import { masterKeyOf, storeOf } from "./storage-options.js";

/**
 * Workflow steps a process takes at once. Steps mostly wait (on the database, on a function's
 * HTTP calls: ParseFile runs inside its step), so many run at once on one core; with two, a
 * day's files waited seconds at every step for one to be free.
 */
export const DEFAULT_STEP_CONCURRENCY = 16;

export interface InstanceOptions {
  data: string;
  database?: string;
  /** A resource file (inflow.yaml) whose resources are created or updated at start. */
  config?: string;
  /** Workflow steps taken in parallel by this process; default DEFAULT_STEP_CONCURRENCY. */
  concurrency?: number;
  /** False: no scheduled source polls here (a one-shot command that polls or digitizes on its own). */
  scheduleSources?: boolean;
  /** The master key file sources' secrets are sealed under (else INFLOW_MASTER_KEY, or master.key in the data directory). */
  masterKeyFile?: string;
  /** The pipeline's tuning, over the resource file's `pipeline:` (tests shorten its timeouts). */
  pipeline?: Partial<PipelineSettings>;
  onError(error: unknown): void;
  /** Function failures are expected (a handler threw): reported apart, one line each. */
  onFunctionFailure(message: string): void;
}

/**
 * The parts `inflow serve`, `inflow worker` and `inflow digitize` all run: the store, the queues
 * and their background work, the workflow engine, the function runtime and the digitize
 * pipeline. Opening reads the resource file (a mistake in it costs nothing), opens the database
 * and builds the parts; `install` then declares the pipeline and the file's resources, and
 * `startWorkers` starts taking work.
 */
export async function openInstance(options: InstanceOptions, functions: Functions) {
  const resourceFile = options.config ? await loadResourceFile(options.config) : undefined;
  if (resourceFile) await registerFunctions(resourceFile, functions);
  const store: Store = await openStore(storeOf(options));
  const queues: Queues = createQueues(store);
  queues.startBackground();
  const states: States = createStates(store, queues, {
    concurrency: options.concurrency ?? DEFAULT_STEP_CONCURRENCY,
    invoke: functions.invoker(),
    onError: options.onError,
  });
  const runtime: FunctionRuntime = createFunctionRuntime(store, queues, states, functions, {
    onError: (error) =>
      isFunctionFailure(error) ? options.onFunctionFailure(error.message) : options.onError(error),
  });
  const pipeline: PipelineStarter = createPipelineStarter({
    store,
    states,
    stateMachineArn: states.machines.arnOf(DIGITIZE),
  });

  const readSecret = createSecretReader(store, () => masterKeyOf(options));

  let workersStarted = false;
  let sourceScheduler: ReturnType<typeof startSourceScheduler> | undefined;
  const close = async () => {
    await sourceScheduler?.stop();
    if (workersStarted) {
      await runtime.close();
      await states.close();
    }
    await queues.close();
    await store.close();
  };

  return {
    store,
    queues,
    states,
    runtime,
    pipeline,
    readSecret,

    /**
     * Declares the digitize pipeline, its functions calling the services at `apiUrl`, then the
     * resource file's resources (which may use the pipeline's queues). Returns the resource file's
     * summary line, if there was one.
     */
    async install(apiUrl: string): Promise<string | undefined> {
      const settings = { ...resourceFile?.resources.pipeline, ...options.pipeline };
      try {
        await tunePipelineQueues(queues, settings);
        await installPipeline({
          queues,
          states,
          runtime,
          functions,
          api: { url: apiUrl, serviceKey: await serviceKey(store) },
          settings,
        });
      } catch (error) {
        // A setting the queues or mappings refuse (a function timeout over the visibility timeout).
        if (error instanceof FunctionsError || error instanceof QueueError) {
          throw new CliError(`Cannot install the digitize pipeline with these settings: ${error.message}`);
        }
        throw error;
      }
      if (!resourceFile) return undefined;
      const applied = await applyResources(resourceFile, { queues, states, runtime });
      return describeApplied(resourceFile, applied);
    },

    /** Starts the workflow steps, the functions' pollers and schedules, and the sources' scheduled polls. */
    async startWorkers(): Promise<void> {
      workersStarted = true;
      await states.startWorkers();
      await runtime.start();
      if (options.scheduleSources !== false) {
        sourceScheduler = startSourceScheduler({ store, pipeline, readSecret, onError: options.onError });
      }
    },

    /** Stops the workers (when started), the queues' background work, then closes the database. */
    close,
  };
}

export type Instance = Awaited<ReturnType<typeof openInstance>>;

/** The address this process's own functions call the services at: a wildcard listen is reached on loopback. */
export function selfUrl(address: string): string {
  const url = new URL(address);
  if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = "127.0.0.1";
  return url.origin;
}
