/**
 * What an installation of the pipeline may tune. Queue attributes apply when a queue is created:
 * an existing queue keeps what an operator (or a test) set with SetQueueAttributes.
 */
export interface PipelineSettings {
  /** VisibilityTimeout of each new pipeline queue: how long a message taken by a function stays hidden. */
  visibilityTimeoutSeconds: number;
  /** Receives before a message goes to its queue's dead-letter queue (the redrive policy of a new queue). */
  maxReceiveCount: number;
  /** Messages per function call from each queue (the event-source mappings' BatchSize). */
  batchSize: number;
  /** Invoices of one chunk created at once (the inner Map's MaxConcurrency). */
  mapConcurrency: number;
  /** Invoice keys per chunk, each chunk one child execution of the distributed Map (at most 1,000, the limit of States.ArrayRange). */
  chunkSize: number;
  /**
   * Timeout of the queue functions: no more than the queues' VisibilityTimeout, or the event-source
   * mappings are refused (Lambda's rule), so lowering the visibility timeout means lowering this too.
   */
  functionTimeoutSeconds: number;
  /** Timeout of parse-file, which reads, parses and stores a whole file. */
  parseTimeoutSeconds: number;
  /** How long one call of the `/v1/pipeline` API may take before it counts as the service being unavailable. */
  requestTimeoutMillis: number;
  /** The same for moving a file's bytes or its parsed invoices, which may be tens of megabytes. */
  transferTimeoutMillis: number;
}

export const DEFAULT_PIPELINE_SETTINGS: Readonly<PipelineSettings> = Object.freeze({
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  batchSize: 10,
  mapConcurrency: 10,
  chunkSize: 500,
  functionTimeoutSeconds: 30,
  parseTimeoutSeconds: 300,
  requestTimeoutMillis: 10_000,
  transferTimeoutMillis: 120_000,
});

/** The defaults with `given` over them. */
export const pipelineSettings = (given: Partial<PipelineSettings> = {}): PipelineSettings => ({
  ...DEFAULT_PIPELINE_SETTINGS,
  ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
});
