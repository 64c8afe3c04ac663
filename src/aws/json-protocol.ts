/**
 * AWS JSON 1.0, the framing SQS and Step Functions share: one POST per call, the operation in
 * `X-Amz-Target: <Prefix>.<Operation>`, a JSON object in and out. Each service decodes its
 * own input and encodes its own errors (SQS adds `x-amzn-query-error`), so the HTTP layer
 * only routes by prefix.
 */

export const AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.0";

export interface AwsRequestContext {
  /** Where callers reach this server, e.g. `http://127.0.0.1:4566`; resource URLs start with it. */
  baseUrl: string;
  /** Aborted when the caller goes away or the server shuts down; long polls end on it. */
  signal: AbortSignal;
}

export interface AwsJsonResponse {
  status: number;
  /** Default `application/x-amz-json-1.0`. */
  contentType?: string;
  /** Headers beyond content type, request id and date, which the HTTP layer sets. */
  headers?: Record<string, string>;
  body: string;
}

export interface AwsJsonService {
  /** The part of `X-Amz-Target` before the dot: `AmazonSQS`, `AWSStepFunctions`. */
  readonly targetPrefix: string;
  /** Answers one call, errors included; rejects only on bugs. */
  handle(operation: string, body: string, context: AwsRequestContext): Promise<AwsJsonResponse>;
  /** Answers, in this service's error format, a request the HTTP layer refused (e.g. too large). */
  reject(failure: { status: number; name: string; message: string }): AwsJsonResponse;
}

/**
 * The request body as a JSON object: `{}` for an empty body (the SDK sends `{}` for operations
 * without input, other clients send nothing), undefined when it is not a JSON object.
 */
export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  return isPlainObject(parsed) ? parsed : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
