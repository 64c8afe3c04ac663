import { describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { MAX_TASK_RESULT_BYTES } from "../../src/functions/step-functions.js";
import { StatesError } from "../../src/states/errors.js";

/** The StatesError the engine's invoker rejects with. */
async function taskErrorOf(promise: Promise<unknown>): Promise<StatesError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StatesError);
    return error as StatesError;
  }
  throw new Error("expected a rejection");
}

describe("functions as Step Functions tasks see them", () => {
  const functions = createFunctions();
  functions.register("ok", async (event) => ({ got: event }));
  functions.register("fails", async () => {
    const error = new Error("The supplier is unknown");
    error.name = "UnknownSupplier";
    throw error;
  });
  functions.register("slow", () => new Promise(() => undefined), { timeoutSeconds: 1 });
  functions.register("big", async () => "x".repeat(MAX_TASK_RESULT_BYTES));
  const invoke = functions.invoker();

  it("returns the function's result", async () => {
    expect(await invoke("ok", { a: 1 })).toEqual({ got: { a: 1 } });
  });

  it("fails with the error's type and Lambda's report as the cause", async () => {
    const error = await taskErrorOf(invoke("fails", {}));
    expect(error.name).toBe("UnknownSupplier");
    const cause = JSON.parse(error.cause);
    expect(Object.keys(cause)).toEqual(["errorType", "errorMessage", "trace"]);
    expect(cause).toMatchObject({ errorType: "UnknownSupplier", errorMessage: "The supplier is unknown" });
    expect(cause.trace[0]).toBe("UnknownSupplier: The supplier is unknown");
  });

  it("fails an unknown function with Lambda.ResourceNotFoundException and the SDK's wording", async () => {
    const error = await taskErrorOf(invoke("arn:aws:lambda:us-east-1:000000000000:function:nope", {}));
    expect(error.name).toBe("Lambda.ResourceNotFoundException");
    expect(error.cause).toMatch(
      /^Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f-]{36}; Proxy: null\)$/,
    );
  });

  it("fails a timed-out function with Sandbox.Timedout", async () => {
    const error = await taskErrorOf(invoke("slow", {}));
    expect(error.name).toBe("Sandbox.Timedout");
    expect(JSON.parse(error.cause)).toEqual({
      errorType: "Sandbox.Timedout",
      errorMessage: expect.stringMatching(/Error: Task timed out after 1\.00 seconds$/),
    });
  });

  it("fails a result over 256 KiB with States.DataLimitExceeded naming the function", async () => {
    const error = await taskErrorOf(invoke("big", {}));
    expect(error.name).toBe("States.DataLimitExceeded");
    expect(error.cause).toBe(
      "The state/task 'arn:aws:lambda:us-east-1:000000000000:function:big' returned a result with a size exceeding the maximum number of bytes service limit.",
    );
  });
});
