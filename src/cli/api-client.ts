import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_HOST, DEFAULT_PORT } from "../server/app.js";
import { CliError } from "./errors.js";

/**
 * How the operating commands (`queues`, `executions`, `functions`) reach a running Inflow: the
 * official AWS SDK clients against its endpoint, so they see exactly what any other client sees.
 */

const DEFAULT_ENDPOINT = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;
const ENDPOINT_ENV = "INFLOW_ENDPOINT";
/** Giving up on a connection that never opens; answers themselves may take long (a 900 s function). */
const CONNECT_TIMEOUT_MILLIS = 5_000;
/** The errors of a connection that never reached a server. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "TimeoutError",
]);

export interface ApiOptions {
  endpoint: string;
  json?: boolean;
}

/** Adds `--endpoint` (default: INFLOW_ENDPOINT, else the local `inflow serve`) and `--json`. */
export function withApiOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--endpoint <url>", "base URL of the running Inflow")
        .env(ENDPOINT_ENV)
        .default(DEFAULT_ENDPOINT)
        .argParser(parseEndpoint),
    )
    .option("--json", "print JSON for scripts instead of a table");
}

function parseEndpoint(value: string): string {
  try {
    const url = new URL(value);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.pathname === "/" && !url.search) {
      return url.origin;
    }
  } catch {
    // reported below
  }
  throw new InvalidArgumentError(`expected a base URL such as ${DEFAULT_ENDPOINT}, got '${value}'.`);
}

/** What every client shares: Inflow accepts any credentials, and one attempt keeps failures quick and plain. */
function clientConfig(endpoint: string) {
  // The SDK's notice about future Node.js versions is about the SDK's support, not this command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "inflow", secretAccessKey: "inflow" },
    maxAttempts: 1,
    // The SDK builds its Node.js handler from these options.
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MILLIS },
  };
}

// The SDKs load on demand: `inflow parse` and `inflow serve` should not pay for them.
export async function sqsClient(endpoint: string): Promise<SQSClient> {
  const { SQSClient } = await import("@aws-sdk/client-sqs");
  return new SQSClient(clientConfig(endpoint));
}

export async function sfnClient(endpoint: string): Promise<SFNClient> {
  const { SFNClient } = await import("@aws-sdk/client-sfn");
  return new SFNClient(clientConfig(endpoint));
}

export async function lambdaClient(endpoint: string): Promise<LambdaClient> {
  const { LambdaClient } = await import("@aws-sdk/client-lambda");
  return new LambdaClient(clientConfig(endpoint));
}

/**
 * Runs `work` with a client and turns what goes wrong into a message for the operator: an
 * endpoint that does not answer (and how to start one), or the service's own error.
 */
export async function withClient<Client extends { destroy(): void; config: { serviceId: string } }, Result>(
  endpoint: string,
  create: (endpoint: string) => Promise<Client>,
  work: (client: Client) => Promise<Result>,
): Promise<Result> {
  const client = await create(endpoint);
  try {
    return await work(client);
  } catch (error) {
    throw apiError(error, endpoint, client.config.serviceId);
  } finally {
    client.destroy();
  }
}

function apiError(error: unknown, endpoint: string, service: string): Error {
  if (error instanceof CliError) return error;
  const code = unreachableCode(error);
  if (code) return endpointUnreachable(endpoint, code);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const { name, message } = error as Error;
  if (status === undefined) return error instanceof Error ? error : new Error(String(error));
  // The SDK names an error it cannot place `Unknown`: whatever answered does not speak this API.
  if (name && name !== "Unknown" && name !== "UnknownError" && name !== "Error") {
    if (status < 500) return new CliError(`${name}: ${message}`);
    return new CliError(`${endpoint} failed: ${name}: ${message} (HTTP ${status}); its log has the details.`);
  }
  return new CliError(
    `${endpoint} does not answer as the ${service} API of Inflow (HTTP ${status}${message ? `: ${message}` : ""}). Check that --endpoint or ${ENDPOINT_ENV} points at \`inflow serve\`.`,
  );
}

/** The network error code of a failed connection, looking through the SDK's and Node's wrappers. */
function unreachableCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, name, errors, cause } = current as {
      code?: string;
      name?: string;
      errors?: unknown[];
      cause?: unknown;
    };
    if (code && UNREACHABLE_CODES.has(code)) return code;
    if (name && UNREACHABLE_CODES.has(name)) return name;
    // Node tries IPv4 and IPv6 addresses in turn and reports all failures together.
    const inner = errors?.map(unreachableCode).find(Boolean);
    if (inner) return inner;
    current = cause;
  }
  return undefined;
}

const endpointUnreachable = (endpoint: string, code: string) =>
  new CliError(
    `Cannot reach Inflow at ${endpoint} (${code}). Start it with \`inflow serve\` (it listens on ${DEFAULT_ENDPOINT} by default), or point --endpoint or ${ENDPOINT_ENV} at a running instance.`,
  );
