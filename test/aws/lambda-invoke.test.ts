import {
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-lambda";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { buildServer } from "../../src/server/app.js";
import type { Store } from "../../src/store/types.js";
import { createTestDatabase } from "../support/backends.js";
import { clientDefaults, listenOnFreePort } from "../support/listen.js";
import { rejectionOf } from "./support.js";

const ARN_PREFIX = "arn:aws:lambda:us-east-1:000000000000:function:";
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (payload: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(payload));

// The Lambda routes touch no storage: one backend is enough.
describe("Lambda Invoke and ListFunctions over the wire", () => {
  const database = createTestDatabase("sqlite");
  let store: Store;
  let queues: Queues;
  let app: FastifyInstance;
  let url: string;
  let client: LambdaClient;

  beforeAll(async () => {
    const functions = createFunctions();
    functions.register("echo", async (event: unknown) => ({ echoed: event }));
    functions.register("fail", async (event: { reason: string }) => {
      throw new TypeError(`cannot handle ${event.reason}`);
    });
    functions.register(
      "slow",
      (_event: unknown, context) =>
        new Promise((resolve) => {
          const timer = setTimeout(resolve, 5_000);
          context.signal.addEventListener("abort", () => clearTimeout(timer));
        }),
      { timeoutSeconds: 1 },
    );
    for (let i = 0; i < 55; i++) functions.register(`many-${String(i).padStart(2, "0")}`, async () => null);
    store = await database.open();
    queues = createQueues(store);
    app = await buildServer({ queues, functions });
    url = await listenOnFreePort(app);
    client = new LambdaClient(clientDefaults(url));
  });
  afterAll(async () => {
    client?.destroy();
    await app?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  it("returns the function's result with status 200", async () => {
    const answer = await client.send(
      new InvokeCommand({ FunctionName: "echo", Payload: encode({ invoice: "INV-1", total: "12.50" }) }),
    );
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBeUndefined();
    expect(answer.ExecutedVersion).toBe("$LATEST");
    expect(decode(answer.Payload)).toEqual({ echoed: { invoice: "INV-1", total: "12.50" } });
  });

  it("hands the function {} when there is no payload", async () => {
    const answer = await client.send(new InvokeCommand({ FunctionName: "echo" }));
    expect(decode(answer.Payload)).toEqual({ echoed: {} });
  });

  it("accepts ARNs, partial ARNs and $LATEST as the qualifier", async () => {
    for (const FunctionName of [`${ARN_PREFIX}echo`, "000000000000:function:echo", "echo:$LATEST"]) {
      const answer = await client.send(new InvokeCommand({ FunctionName, Payload: encode(1) }));
      expect(decode(answer.Payload)).toEqual({ echoed: 1 });
    }
    const qualified = await client.send(
      new InvokeCommand({ FunctionName: "echo", Qualifier: "$LATEST", Payload: encode(2) }),
    );
    expect(decode(qualified.Payload)).toEqual({ echoed: 2 });
  });

  it("reports a function error as 200 with X-Amz-Function-Error: Unhandled and the error report", async () => {
    const answer = await client.send(
      new InvokeCommand({ FunctionName: "fail", Payload: encode({ reason: "x" }) }),
    );
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBe("Unhandled");
    const report = decode(answer.Payload);
    expect(report).toMatchObject({ errorType: "TypeError", errorMessage: "cannot handle x" });
    expect(report.trace[0]).toBe("TypeError: cannot handle x");
  });

  it("reports a function that outlives its timeout as Sandbox.Timedout, Unhandled", async () => {
    const answer = await client.send(new InvokeCommand({ FunctionName: "slow" }));
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBe("Unhandled");
    expect(decode(answer.Payload)).toMatchObject({
      errorType: "Sandbox.Timedout",
      errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/),
    });
  });

  it("answers 404 ResourceNotFoundException for an unknown function or qualifier", async () => {
    const error = await rejectionOf(client.send(new InvokeCommand({ FunctionName: "missing" })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe(`Function not found: ${ARN_PREFIX}missing`);
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(404);

    const qualified = await rejectionOf(
      client.send(new InvokeCommand({ FunctionName: "echo", Qualifier: "prod" })),
    );
    expect(qualified.name).toBe("ResourceNotFoundException");
    expect(qualified.message).toBe(`Function not found: ${ARN_PREFIX}echo:prod`);
  });

  it("refuses a payload that is not JSON, in Lambda's words", async () => {
    const error = await rejectionOf(
      client.send(new InvokeCommand({ FunctionName: "echo", Payload: new TextEncoder().encode("{oops") })),
    );
    expect(error.name).toBe("InvalidRequestContentException");
    expect(error.message).toMatch(/^Could not parse request body into json/);
  });

  it("refuses names Lambda's pattern rejects and conflicting qualifiers", async () => {
    const bad = await rejectionOf(client.send(new InvokeCommand({ FunctionName: "no spaces" })));
    expect(bad.name).toBe("ValidationException");
    expect(bad.message).toMatch(/at 'functionName' failed to satisfy constraint/);
    const conflict = await rejectionOf(
      client.send(new InvokeCommand({ FunctionName: "echo:$LATEST", Qualifier: "prod" })),
    );
    expect(conflict.name).toBe("InvalidParameterValueException");
  });

  it("checks a function exists without running it on DryRun, and refuses Event", async () => {
    const dry = await client.send(new InvokeCommand({ FunctionName: "fail", InvocationType: "DryRun" }));
    expect(dry.StatusCode).toBe(204);
    const missing = await rejectionOf(
      client.send(new InvokeCommand({ FunctionName: "missing", InvocationType: "DryRun" })),
    );
    expect(missing.name).toBe("ResourceNotFoundException");
    const event = await rejectionOf(
      client.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "Event" })),
    );
    expect(event.name).toBe("InvalidParameterValueException");
    expect(event.message).toMatch(/Event is not supported/);
  });

  it("refuses a payload over 6 MB with 413 RequestTooLargeException", async () => {
    const response = await fetch(`${url}/2015-03-31/functions/echo/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("x".repeat(6 * 1024 * 1024)),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("x-amzn-errortype")).toBe("RequestTooLargeException");
    expect(await response.json()).toEqual({
      Type: "User",
      message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    });
  });

  it("lists the functions in name order, 50 a page", async () => {
    const first = await client.send(new ListFunctionsCommand({}));
    expect(first.Functions).toHaveLength(50);
    expect(first.Functions?.[0]).toMatchObject({
      FunctionName: "echo",
      FunctionArn: `${ARN_PREFIX}echo`,
      Timeout: 3,
      Version: "$LATEST",
    });
    const second = await client.send(new ListFunctionsCommand({ Marker: first.NextMarker }));
    expect(second.NextMarker).toBeUndefined();
    const names = [...first.Functions!, ...second.Functions!].map((fn) => fn.FunctionName);
    expect(names).toHaveLength(58);
    expect(new Set(names).size).toBe(58);
    const small = await client.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(small.Functions?.map((fn) => fn.FunctionName)).toEqual(["echo", "fail"]);
    expect(small.NextMarker).toBe("fail");
  });

  it("is not served without a registry", async () => {
    const bare = await buildServer({ queues });
    const bareUrl = await listenOnFreePort(bare);
    try {
      const response = await fetch(`${bareUrl}/2015-03-31/functions/`);
      expect(response.status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
