/**
 * Functions: named async TypeScript handlers, run the way AWS Lambda runs functions, so a
 * handler written for Lambda's Node.js runtime runs here unchanged.
 *
 * Glossary
 * - Function: a handler registered under a name (Lambda's rule: 1 to 64 letters, digits, `-`,
 *   `_`) with a timeout. Its ARN is `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
 * - Handler: `async (event, context) => result`. The event is a JSON copy of the payload and the
 *   result is sent back as JSON, as Lambda does: a handler can neither change its caller's data
 *   nor return what JSON cannot carry (Dates become strings, `undefined` becomes null).
 * - Invocation: one call of a function with one payload, named by its `awsRequestId`.
 *   Synchronous (RequestResponse): the caller waits for the result.
 * - Context: what Lambda hands a handler beside the event: its name, ARN, request id, deadline
 *   and `getRemainingTimeInMillis()`; plus `signal`, aborted at the deadline.
 * - Function failure: the handler threw, timed out, or returned what cannot be sent back. The
 *   caller gets Lambda's error report `{errorType, errorMessage, trace}`; Step Functions reports
 *   `errorType` as the task's error and the report (JSON) as its cause.
 * - Timeout: how long an invocation may run, 1 to 900 seconds (Lambda's range), default 3 (Lambda's
 *   default). JavaScript cannot stop a running promise: at the deadline the invocation fails with
 *   `Sandbox.Timedout` and `context.signal` aborts, and whatever the handler does afterwards
 *   is ignored. Handlers that do long work pass the signal on (to fetch, to database calls).
 * - Event-source mapping: a queue whose messages a function gets in batches, as Lambda's SQS
 *   mapping hands them (`mappings.ts`); one per queue and function, stored, enabled or disabled.
 * - Batch: up to BatchSize messages in one invocation, as an SQS event (`sqs-event.ts`). Deleted
 *   when the function succeeds; with ReportBatchItemFailures only the ones it does not list
 *   (`batch-response.ts`); otherwise left to return after their visibility timeout.
 * - Poller: one loop receiving and handing over batches; a mapping runs 1 to MaximumConcurrency
 *   of them per process, more while the queue has a backlog (`mapping-runner.ts`).
 * - Schedule: an EventBridge Scheduler-style `rate(...)` or `cron(...)` expression in a time zone
 *   (`schedule-expressions.ts`) that starts an execution or calls a function with a fixed input,
 *   once per period however many workers run (`schedules.ts`).
 * - Runtime: the pollers and the scheduler one `inflow serve` or `inflow worker` runs (`runtime.ts`).
 */

export interface FunctionContext {
  readonly functionName: string;
  /** Inflow keeps no versions: always `$LATEST`. */
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  /** A fresh id per invocation (a UUID), as Lambda's request ids are. */
  readonly awsRequestId: string;
  /** When the invocation times out, in epoch milliseconds. */
  readonly deadline: number;
  getRemainingTimeInMillis(): number;
  /** Aborted at the deadline, so the handler can stop work nobody waits for any more. */
  readonly signal: AbortSignal;
}

// biome-ignore lint/suspicious/noExplicitAny: events are whatever JSON the caller sends, as in @types/aws-lambda.
export type Handler<Event = any, Result = unknown> = (
  event: Event,
  context: FunctionContext,
) => Promise<Result>;

export interface FunctionOptions {
  /** Whole seconds from 1 to 900; default 3, as on Lambda. */
  timeoutSeconds?: number;
}

export interface FunctionDescription {
  name: string;
  arn: string;
  timeoutSeconds: number;
}

/** What Lambda's Node.js runtime reports of a failed invocation (the payload of an `Unhandled` error). */
export interface ErrorReport {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}
