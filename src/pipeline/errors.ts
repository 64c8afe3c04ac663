/**
 * The pipeline functions' errors. `name` is stable: it is what a failed task reports as its error
 * (Lambda reports a thrown error's name as its errorType) and what the definition's Retry matches.
 * Two kinds matter to the functions: the service being unavailable (try again later) and
 * everything else (answer the task with a failure, never retry).
 */
export class PipelineError extends Error {
  override readonly name: string;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const SERVICE_UNAVAILABLE = "Pipeline.ServiceUnavailable";

/** A network error, a timeout or a 5xx: the call may succeed later. */
export const serviceUnavailable = (message: string) => new PipelineError(SERVICE_UNAVAILABLE, message);

/**
 * A 4xx from the service: the call will not succeed by repeating it. The name is the service's error
 * code (`ContainerNotFound`, `InvalidContainerState`), so a failed execution says what the service said.
 */
export class ServiceRefused extends PipelineError {
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(code, message);
    this.status = status;
  }
}

export const isServiceUnavailable = (error: unknown): boolean =>
  error instanceof PipelineError && error.name === SERVICE_UNAVAILABLE;

/** A file that parsed without a fatal diagnostic or an error and yet held no invoice. */
export const noInvoices = (message: string) => new PipelineError("Pipeline.NoInvoices", message);

/** A message on a pipeline queue that lacks what its function needs (sent by something else than digitize). */
export const invalidMessage = (message: string) => new PipelineError("Pipeline.InvalidMessage", message);

export const deadLettered = (message: string) => new PipelineError("Pipeline.DeadLettered", message);
