/**
 * The resource file (`inflow.yaml`), as read: what an Inflow deployment runs, declared by name.
 * `inflow.schema.json` beside this file is its JSON Schema; docs/resources.md explains it.
 */

export interface QueueResource {
  attributes?: Record<string, string | number | boolean>;
  redrivePolicy?: { deadLetterQueue: string; maxReceiveCount: number };
}

export interface StateMachineResource {
  /** A path to the definition's JSON file (relative to the resource file), or the definition. */
  definition: string | Record<string, unknown>;
  type?: "STANDARD" | "EXPRESS";
}

export interface FunctionResource {
  module: string;
  export?: string;
  timeout?: number;
}

export interface MappingResource {
  queue: string;
  function: string;
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  maximumConcurrency?: number;
  functionResponseTypes?: string[];
  enabled?: boolean;
}

export interface ScheduleResource {
  expression: string;
  timezone?: string;
  target: { stateMachine?: string; function?: string };
  input?: unknown;
  enabled?: boolean;
}

/** Tuning of the digitize pipeline (src/pipeline/settings.ts); unset ones keep their defaults. */
export interface PipelineResource {
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  batchSize?: number;
  mapConcurrency?: number;
  chunkSize?: number;
  functionTimeoutSeconds?: number;
  parseTimeoutSeconds?: number;
  requestTimeoutMillis?: number;
  transferTimeoutMillis?: number;
}

export interface Resources {
  queues?: Record<string, QueueResource | null>;
  stateMachines?: Record<string, StateMachineResource>;
  functions?: Record<string, FunctionResource>;
  eventSourceMappings?: MappingResource[];
  schedules?: Record<string, ScheduleResource>;
  pipeline?: PipelineResource;
}

/** A resource file read and checked, with where it was read from (paths in it are relative to `dir`). */
export interface ResourceFile {
  path: string;
  dir: string;
  resources: Resources;
}
