import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { isNativeError } from "node:util/types";
import type { FunctionInvoker } from "../states/worker.js";
import {
  FunctionFailure,
  functionAlreadyExists,
  functionNotFound,
  handlerNotAFunction,
  invalidFunctionName,
  invalidPayload,
  invalidTimeout,
  requestTooLarge,
} from "./errors.js";
import { stepFunctionsInvoker } from "./step-functions.js";
import type { ErrorReport, FunctionContext, FunctionDescription, FunctionOptions, Handler } from "./types.js";

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Lambda's default and maximum function timeouts. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const MAX_TIMEOUT_SECONDS = 900;
/** Lambda's quotas for a synchronous invocation: the request payload and the response, in bytes. */
export const MAX_REQUEST_BYTES = 6_291_456;
export const MAX_RESPONSE_BYTES = 6_291_556;
/** The only qualifier a function reference may carry: Inflow keeps no versions or aliases. */
const LATEST = "$LATEST";

interface RegisteredFunction {
  name: string;
  handler: Handler;
  timeoutSeconds: number;
}

export interface FunctionsOptions {
  /** Region and account of the functions' ARNs; default `us-east-1` and `000000000000`. */
  region?: string;
  accountId?: string;
}

/**
 * A function as Lambda's Invoke names it: `NAME`, `ACCOUNT:function:NAME` or
 * `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, each with an optional `:QUALIFIER`. Inflow is
 * one account, so the region and account an ARN carries are not compared: definitions written
 * with an AWS account's ARNs run unchanged.
 */
function parseReference(reference: string): { name: string; qualifier?: string } {
  const parts = reference.split(":");
  const [name = "", qualifier] =
    parts[0] === "arn" ? parts.slice(6) : parts[1] === "function" ? parts.slice(2) : parts;
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** What Lambda's Node.js runtime reports of a thrown value: an Error's name, message and stack lines. */
function reportOf(thrown: unknown): ErrorReport {
  if (isNativeError(thrown) || thrown instanceof Error) {
    return {
      errorType: thrown.name || "Error",
      errorMessage: thrown.message,
      trace: thrown.stack?.split("\n") ?? [],
    };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown), trace: [] };
}

/** Marks the timer's rejection apart from anything a handler could throw. */
const TIMED_OUT = Symbol("timed out");

/** The function registry: handlers by name, invoked with Lambda's limits and failure reports. */
export function createFunctions(options: FunctionsOptions = {}) {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const functions = new Map<string, RegisteredFunction>();
  const arnPrefix = `arn:aws:lambda:${region}:${accountId}:function:`;

  /** The ARN a reference names (with its qualifier), whether or not the function exists. */
  const arnOf = (reference: string): string => {
    const { name, qualifier } = parseReference(reference);
    return `${arnPrefix}${name}${qualifier === undefined ? "" : `:${qualifier}`}`;
  };

  const find = (reference: string): RegisteredFunction => {
    const { name, qualifier } = parseReference(reference);
    const found = functions.get(name);
    if (!found || (qualifier !== undefined && qualifier !== LATEST)) throw functionNotFound(arnOf(reference));
    return found;
  };

  /**
   * Runs a function on `payload` and returns its result (a JSON copy). Throws FunctionsError when
   * the call is refused, FunctionFailure when the function throws, times out, or returns what
   * cannot be sent back.
   */
  const invoke = async (reference: string, payload?: unknown): Promise<unknown> => {
    const fn = find(reference);
    let eventText: string;
    try {
      // Invoke without a payload hands the handler an empty object.
      eventText = JSON.stringify(payload === undefined ? {} : payload);
    } catch (error) {
      throw invalidPayload((error as Error).message);
    }
    if (Buffer.byteLength(eventText, "utf8") > MAX_REQUEST_BYTES) throw requestTooLarge(MAX_REQUEST_BYTES);

    const requestId = randomUUID();
    const timeoutMillis = fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMillis;
    const aborter = new AbortController();
    // A handler passes the signal to each call it makes, and a batch handler makes many at once.
    setMaxListeners(0, aborter.signal);
    const context: FunctionContext = {
      functionName: fn.name,
      functionVersion: LATEST,
      invokedFunctionArn: arnOf(reference),
      awsRequestId: requestId,
      deadline,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      signal: aborter.signal,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(TIMED_OUT), timeoutMillis);
    });
    let result: unknown;
    try {
      // `then` turns a handler that throws before returning a promise into a rejection too. The
      // race keeps a handler that fails after its timeout from being an unhandled rejection.
      result = await Promise.race([
        Promise.resolve().then(() => fn.handler(JSON.parse(eventText), context)),
        timeout,
      ]);
    } catch (thrown) {
      if (thrown !== TIMED_OUT) throw new FunctionFailure(reportOf(thrown));
      aborter.abort();
      throw new FunctionFailure({
        errorType: "Sandbox.Timedout",
        errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
      });
    } finally {
      clearTimeout(timer);
    }

    let resultText: string;
    try {
      resultText = JSON.stringify(result === undefined ? null : result);
    } catch {
      throw new FunctionFailure({
        errorType: "Runtime.JSONStringifyError",
        errorMessage: "Unable to stringify response body",
      });
    }
    if (Buffer.byteLength(resultText, "utf8") > MAX_RESPONSE_BYTES) {
      throw new FunctionFailure({
        errorType: "Function.ResponseSizeTooLarge",
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      });
    }
    return JSON.parse(resultText);
  };

  return {
    /** Adds a function; names are unique, as on Lambda. */
    register(name: string, handler: Handler, functionOptions: FunctionOptions = {}): void {
      if (typeof name !== "string" || !NAME.test(name)) throw invalidFunctionName(String(name));
      if (typeof handler !== "function") throw handlerNotAFunction(name);
      const timeoutSeconds = functionOptions.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
        throw invalidTimeout(name, timeoutSeconds);
      }
      if (functions.has(name)) throw functionAlreadyExists(name);
      functions.set(name, { name, handler, timeoutSeconds });
    },

    /** The registered functions, by name. */
    list(): FunctionDescription[] {
      return [...functions.values()]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map(({ name, timeoutSeconds }) => ({ name, arn: arnOf(name), timeoutSeconds }));
    },

    arnOf,
    invoke,

    /** What the workflow engine calls for Lambda Task states (`createStates(..., { invoke })`). */
    invoker: (): FunctionInvoker => stepFunctionsInvoker({ invoke, arnOf }),
  };
}

export type Functions = ReturnType<typeof createFunctions>;
