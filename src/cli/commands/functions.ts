import type { FunctionConfiguration } from "@aws-sdk/client-lambda";
import { type Command, InvalidArgumentError } from "commander";
import { type ApiOptions, lambdaClient, withApiOptions, withClient } from "../api-client.js";
import { alert, table, write, writeJson } from "../output.js";

/** Lambda's limit on a synchronous invocation's payload. */
const MAX_INPUT_BYTES = 6_291_456;
/** ListFunctions pages of 50; a listing stops after this many. */
const MAX_LIST_PAGES = 200;

interface ErrorReport {
  errorType?: string;
  errorMessage?: string;
  trace?: string[];
}

export function registerFunctions(program: Command): void {
  const functions = program
    .command("functions")
    .description("List and call the functions of a running Inflow (through its Lambda API).");

  withApiOptions(functions.command("ls").description("List the registered functions.")).action(
    (options: ApiOptions) => listFunctions(options),
  );

  withApiOptions(
    functions
      .command("invoke")
      .description(
        'Call a function with a JSON input and print its result. A function that fails prints its error report and exits 1; with --json the report is printed as {"error": ...}.',
      )
      .argument("<name>", "function name or ARN")
      .option("--input <json>", "the event to call it with, as JSON (at most 6 MB)", parseInput, "{}"),
  ).action((name: string, options: ApiOptions & { input: string }) => invokeFunction(name, options));
}

function parseInput(value: string): string {
  if (Buffer.byteLength(value, "utf8") > MAX_INPUT_BYTES) {
    throw new InvalidArgumentError(`the input exceeds Lambda's ${MAX_INPUT_BYTES}-byte limit.`);
  }
  try {
    JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(
      `not JSON (${(error as Error).message}). Quote it for the shell: --input '{"key": "value"}'.`,
    );
  }
  return value;
}

async function listFunctions(options: ApiOptions): Promise<void> {
  const functions = await withClient(options.endpoint, lambdaClient, async (client) => {
    const { ListFunctionsCommand } = await import("@aws-sdk/client-lambda");
    const found: FunctionConfiguration[] = [];
    let Marker: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const answer = await client.send(new ListFunctionsCommand({ Marker }));
      found.push(...(answer.Functions ?? []));
      Marker = answer.NextMarker;
      if (!Marker) break;
    }
    return found.map((fn) => ({ name: fn.FunctionName!, arn: fn.FunctionArn!, timeoutSeconds: fn.Timeout! }));
  });

  if (options.json) return writeJson(functions);
  if (functions.length === 0) return write("No functions.\n");
  await write(
    table(functions, [
      { header: "NAME", value: (fn) => fn.name },
      { header: "TIMEOUT", value: (fn) => `${fn.timeoutSeconds} s`, align: "right" },
      { header: "ARN", value: (fn) => fn.arn },
    ]),
  );
}

async function invokeFunction(name: string, options: ApiOptions & { input: string }): Promise<void> {
  const answer = await withClient(options.endpoint, lambdaClient, async (client) => {
    const { InvokeCommand } = await import("@aws-sdk/client-lambda");
    return client.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(options.input, "utf8") }),
    );
  });
  const text = answer.Payload ? Buffer.from(answer.Payload).toString("utf8") : "null";
  const payload: unknown = text === "" ? null : JSON.parse(text);

  if (answer.FunctionError) {
    // The call went through and the function failed: a failure of the command all the same.
    process.exitCode = 1;
    if (options.json) return writeJson({ error: payload });
    const report = payload as ErrorReport;
    process.stderr.write(
      `${alert(`Function ${name} failed: ${report.errorType ?? answer.FunctionError}: ${report.errorMessage ?? ""}`, process.stderr)}\n` +
        (report.trace ?? [])
          .slice(1)
          .map((line) => `${line}\n`)
          .join(""),
    );
    return;
  }
  if (options.json) return writeJson({ result: payload });
  await write(`${JSON.stringify(payload, null, 2)}\n`);
}
