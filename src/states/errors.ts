/**
 * Errors of the States language, as values. `name` is the error code a Retry or Catch matches
 * (`States.Runtime`, `States.QueryEvaluationError`, a custom `MyError`...), `cause` the text AWS
 * puts beside it. Keep AWS's exact wording: executions are compared with AWS's own records.
 */
export class StatesError extends Error {
  override readonly name: string;
  override readonly cause: string;

  constructor(error: string, cause = "") {
    super(cause ? `${error}: ${cause}` : error);
    this.name = error;
    this.cause = cause;
  }
}

/** The predefined error codes (ASL spec, "Error names"). */
export const STATES_ERRORS = Object.freeze({
  ALL: "States.ALL",
  HeartbeatTimeout: "States.HeartbeatTimeout",
  Timeout: "States.Timeout",
  TaskFailed: "States.TaskFailed",
  Permissions: "States.Permissions",
  ResultPathMatchFailure: "States.ResultPathMatchFailure",
  ParameterPathFailure: "States.ParameterPathFailure",
  QueryEvaluationError: "States.QueryEvaluationError",
  BranchFailed: "States.BranchFailed",
  NoChoiceMatched: "States.NoChoiceMatched",
  IntrinsicFailure: "States.IntrinsicFailure",
  ExceedToleratedFailureThreshold: "States.ExceedToleratedFailureThreshold",
  ItemReaderFailed: "States.ItemReaderFailed",
  ResultWriterFailed: "States.ResultWriterFailed",
  Runtime: "States.Runtime",
  DataLimitExceeded: "States.DataLimitExceeded",
} as const);

export const runtimeError = (cause: string) => new StatesError(STATES_ERRORS.Runtime, cause);
export const queryEvaluationError = (cause: string) =>
  new StatesError(STATES_ERRORS.QueryEvaluationError, cause);

/** AWS keeps at most this many events in an execution's history; an execution that needs more fails. */
export const HISTORY_LIMIT = 25_000;

/**
 * A step would take its execution's history past HISTORY_LIMIT. Its transaction rolls back and the
 * execution fails with a last event that still fits.
 */
export class HistoryLimitExceeded extends Error {
  override readonly name = "HistoryLimitExceeded";

  constructor(executionId: number) {
    super(`Execution ${executionId} would pass the limit of ${HISTORY_LIMIT} history events.`);
  }
}
