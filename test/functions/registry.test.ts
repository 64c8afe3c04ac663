import { describe, expect, it } from "vitest";
import { FunctionFailure, FunctionsError } from "../../src/functions/errors.js";
import { createFunctions, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES } from "../../src/functions/registry.js";
import type { FunctionContext } from "../../src/functions/types.js";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:";

/** The error `promise` rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

describe("function registry", () => {
  describe("register and list", () => {
    it("lists functions by name with their ARN and timeout (3 seconds unless given, as on Lambda)", () => {
      const functions = createFunctions();
      functions.register("parse-file", async () => null);
      functions.register("Create_Invoice", async () => null, { timeoutSeconds: 900 });
      expect(functions.list()).toEqual([
        { name: "Create_Invoice", arn: `${ARN}Create_Invoice`, timeoutSeconds: 900 },
        { name: "parse-file", arn: `${ARN}parse-file`, timeoutSeconds: 3 },
      ]);
      const elsewhere = createFunctions({ region: "eu-west-1", accountId: "123456789012" });
      elsewhere.register("f", async () => null);
      expect(elsewhere.list()[0]?.arn).toBe("arn:aws:lambda:eu-west-1:123456789012:function:f");
    });

    it("takes Lambda's names only: 1 to 64 letters, digits, - and _", () => {
      const functions = createFunctions();
      functions.register("a".repeat(64), async () => null);
      for (const name of ["", "a".repeat(65), "has space", "dot.ted", "colon:name", "ü"]) {
        expect(() => functions.register(name, async () => null)).toThrow(
          expect.objectContaining({
            name: "ValidationException",
            message: expect.stringContaining(`'${name}'`),
          }),
        );
      }
    });

    it("takes whole-second timeouts from 1 to 900 and refuses others with a message saying so", () => {
      const functions = createFunctions();
      functions.register("one", async () => null, { timeoutSeconds: 1 });
      for (const timeoutSeconds of [0, 901, 1.5, Number.NaN]) {
        const error = (() => {
          try {
            functions.register("bad", async () => null, { timeoutSeconds });
          } catch (thrown) {
            return thrown as FunctionsError;
          }
        })();
        expect(error).toBeInstanceOf(FunctionsError);
        expect(error?.name).toBe("ValidationException");
        expect(error?.message).toContain("from 1 to 900");
      }
    });

    it("refuses a second function of the same name and a handler that is not a function", () => {
      const functions = createFunctions();
      functions.register("once", async () => 1);
      expect(() => functions.register("once", async () => 2)).toThrow(
        expect.objectContaining({ name: "ResourceConflictException" }),
      );
      expect(() => functions.register("nothing", "not a handler" as never)).toThrow(
        expect.objectContaining({ name: "ValidationException" }),
      );
    });
  });

  describe("invoke", () => {
    it("hands the handler a JSON copy of the payload and a Lambda context, and returns a JSON copy of its result", async () => {
      const functions = createFunctions();
      const payload = { invoice: { number: "INV-1", total: "10.00" } };
      let seen: { event: unknown; context: FunctionContext; remaining: number } | undefined;
      functions.register(
        "echo",
        async (event, context) => {
          event.invoice.number = "changed by the handler";
          seen = { event, context, remaining: context.getRemainingTimeInMillis() };
          return { at: new Date(0), missing: undefined, list: [1, undefined] };
        },
        { timeoutSeconds: 5 },
      );
      const before = Date.now();
      const result = await functions.invoke("echo", payload);
      expect(result).toEqual({ at: "1970-01-01T00:00:00.000Z", list: [1, null] });
      expect(payload.invoice.number).toBe("INV-1");
      expect(seen?.context).toMatchObject({
        functionName: "echo",
        functionVersion: "$LATEST",
        invokedFunctionArn: `${ARN}echo`,
      });
      expect(seen?.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(seen?.context.deadline).toBeGreaterThanOrEqual(before + 5000);
      expect(seen?.remaining).toBeGreaterThan(4000);
      expect(seen?.remaining).toBeLessThanOrEqual(5000);
      expect(seen?.context.signal.aborted).toBe(false);
    });

    it("gives each invocation its own request id; undefined results come back as null, no payload as {}", async () => {
      const functions = createFunctions();
      const ids: string[] = [];
      const events: unknown[] = [];
      functions.register("ids", async (event, context) => {
        ids.push(context.awsRequestId);
        events.push(event);
      });
      expect(await functions.invoke("ids")).toBeNull();
      expect(await functions.invoke("ids", [1])).toBeNull();
      expect(new Set(ids).size).toBe(2);
      expect(events).toEqual([{}, [1]]);
    });

    it("finds a function by name, partial or full ARN, with $LATEST or no qualifier", async () => {
      const functions = createFunctions();
      functions.register("named", async () => "found");
      for (const reference of [
        "named",
        "named:$LATEST",
        "000000000000:function:named",
        `${ARN}named`,
        `${ARN}named:$LATEST`,
        // Another account's ARN: definitions written for AWS run unchanged.
        "arn:aws:lambda:eu-west-1:123456789012:function:named",
      ]) {
        expect(await functions.invoke(reference)).toBe("found");
      }
    });

    it("answers an unknown function, version or alias with ResourceNotFoundException naming its ARN", async () => {
      const functions = createFunctions();
      functions.register("named", async () => "found");
      for (const [reference, arn] of [
        ["missing", `${ARN}missing`],
        ["named:live", `${ARN}named:live`],
        [`${ARN}named:1`, `${ARN}named:1`],
      ] as const) {
        const error = await rejectionOf(functions.invoke(reference));
        expect(error).toBeInstanceOf(FunctionsError);
        expect(error).toMatchObject({
          name: "ResourceNotFoundException",
          message: `Function not found: ${arn}`,
          status: 404,
        });
      }
    });

    it("reports a thrown error as Lambda's Node.js runtime does: errorType, errorMessage, trace", async () => {
      const functions = createFunctions();
      functions.register("throws", async () => {
        const error = new Error("supplier service is down");
        error.name = "SupplierDown";
        throw error;
      });
      functions.register("throws-type-error", async (event) => event.missing.property);
      // A handler that throws before returning a promise fails the same way.
      functions.register("throws-sync", (() => {
        throw new RangeError("out of range");
      }) as never);
      functions.register("throws-string", async () => {
        throw "plain text";
      });

      const down = await rejectionOf(functions.invoke("throws"));
      expect(down).toBeInstanceOf(FunctionFailure);
      expect(down.name).toBe("SupplierDown");
      const report = (down as unknown as FunctionFailure).report;
      expect(Object.keys(report)).toEqual(["errorType", "errorMessage", "trace"]);
      expect(report).toMatchObject({ errorType: "SupplierDown", errorMessage: "supplier service is down" });
      expect(report.trace?.[0]).toBe("SupplierDown: supplier service is down");
      expect(report.trace?.length).toBeGreaterThan(1);

      expect(await rejectionOf(functions.invoke("throws-type-error"))).toMatchObject({
        name: "TypeError",
        report: { errorType: "TypeError" },
      });
      expect(await rejectionOf(functions.invoke("throws-sync"))).toMatchObject({
        name: "RangeError",
        report: { errorType: "RangeError", errorMessage: "out of range" },
      });
      expect(await rejectionOf(functions.invoke("throws-string"))).toMatchObject({
        name: "string",
        report: { errorType: "string", errorMessage: "plain text", trace: [] },
      });
    });

    it("times a slow handler out with Sandbox.Timedout and aborts its signal; its late answer is ignored", async () => {
      const functions = createFunctions();
      let signal: AbortSignal | undefined;
      let lateFailureHappened = false;
      functions.register(
        "slow",
        async (_event, context) => {
          signal = context.signal;
          await new Promise((resolve) => setTimeout(resolve, 1500));
          lateFailureHappened = true;
          throw new Error("too late to matter");
        },
        { timeoutSeconds: 1 },
      );
      const started = Date.now();
      const error = await rejectionOf(functions.invoke("slow"));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(1400);
      expect(error).toBeInstanceOf(FunctionFailure);
      expect(error.name).toBe("Sandbox.Timedout");
      const report = (error as unknown as FunctionFailure).report;
      expect(report.errorType).toBe("Sandbox.Timedout");
      expect(report.errorMessage).toMatch(
        /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/,
      );
      expect(signal?.aborted).toBe(true);
      // The handler's own failure after the deadline must not surface as an unhandled rejection.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(lateFailureHappened).toBe(true);
    });

    it("fails a result JSON cannot carry or over Lambda's 6 MB response limit, as Lambda does", async () => {
      const functions = createFunctions();
      functions.register("cyclic", async () => {
        const value: Record<string, unknown> = {};
        value.self = value;
        return value;
      });
      functions.register("bigint", async () => 1n);
      functions.register("huge", async () => "x".repeat(MAX_RESPONSE_BYTES));
      for (const name of ["cyclic", "bigint"]) {
        expect(await rejectionOf(functions.invoke(name))).toMatchObject({
          name: "Runtime.JSONStringifyError",
          report: {
            errorType: "Runtime.JSONStringifyError",
            errorMessage: "Unable to stringify response body",
          },
        });
      }
      expect(await rejectionOf(functions.invoke("huge"))).toMatchObject({
        name: "Function.ResponseSizeTooLarge",
        report: {
          errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        },
      });
    });

    it("refuses a payload JSON cannot carry or over 6 MB without running the handler", async () => {
      const functions = createFunctions();
      let calls = 0;
      functions.register("counted", async () => {
        calls += 1;
      });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const invalid = await rejectionOf(functions.invoke("counted", cyclic));
      expect(invalid).toBeInstanceOf(FunctionsError);
      expect(invalid.name).toBe("InvalidRequestContentException");
      expect(invalid.message).toContain("circular");
      const tooLarge = await rejectionOf(functions.invoke("counted", "x".repeat(MAX_REQUEST_BYTES)));
      expect(tooLarge).toMatchObject({ name: "RequestTooLargeException", status: 413 });
      expect(calls).toBe(0);
    });
  });
});
