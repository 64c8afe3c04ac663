import {
  CreateStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNServiceException,
  ValidationException,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { PASS_MACHINE, ROLE_ARN, type SfnServer, startSfnServer } from "./sfn-support.js";
import { rawCall, rejectionOf } from "./support.js";

const JSON_1_0 = "application/x-amz-json-1.0";

describe.each(BACKENDS)("the Step Functions wire protocol on %s", (dialect) => {
  let server: SfnServer;
  let machineArn: string;

  beforeAll(async () => {
    server = await startSfnServer(dialect);
    machineArn = (
      await server.client.send(
        new CreateStateMachineCommand({ name: "wire", definition: PASS_MACHINE, roleArn: ROLE_ARN }),
      )
    ).stateMachineArn!;
  });
  afterAll(async () => {
    expect(server?.loggedErrors).toEqual([]);
    await server?.close();
  });

  const call = (operation: string, input: unknown) =>
    rawCall(server.url, `AWSStepFunctions.${operation}`, JSON.stringify(input));

  describe("framing", () => {
    it("takes the SDK's AWS JSON 1.0 request and answers in kind, with a request id", async () => {
      const client = server.newClient();
      const seen: {
        request?: { headers: Record<string, string> };
        response?: { headers: Record<string, string> };
      } = {};
      client.middlewareStack.add(
        (next) => async (args) => {
          seen.request = args.request as { headers: Record<string, string> };
          const result = await next(args);
          seen.response = result.response as { headers: Record<string, string> };
          return result;
        },
        { step: "finalizeRequest", priority: "low" },
      );
      const output = await client.send(new ListStateMachinesCommand({}));
      expect(seen.request?.headers["x-amz-target"]).toBe("AWSStepFunctions.ListStateMachines");
      expect(seen.request?.headers["content-type"]).toBe(JSON_1_0);
      expect(seen.response?.headers["content-type"]).toBe(JSON_1_0);
      expect(output.$metadata.requestId).toBe(seen.response?.headers["x-amzn-requestid"]);
      expect(output.stateMachines?.map((machine) => machine.stateMachineArn)).toEqual([machineArn]);
    });

    it("sends timestamps as epoch seconds and leaves absent members out", async () => {
      const before = Date.now() / 1000;
      const response = await call("CreateStateMachine", {
        name: "timestamps",
        definition: PASS_MACHINE,
        roleArn: ROLE_ARN,
      });
      expect(response.status).toBe(200);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual(["creationDate", "stateMachineArn"]);
      expect(typeof body.creationDate).toBe("number");
      expect(body.creationDate as number).toBeGreaterThanOrEqual(Math.floor(before) - 1);
      expect(body.creationDate as number).toBeLessThan(Date.now() / 1000 + 1);
      expect(response.text).not.toContain("null");
      // The SDK reads them into Dates.
      const { stateMachines } = await server.client.send(new ListStateMachinesCommand({}));
      const created = stateMachines?.find((machine) => machine.name === "timestamps")?.creationDate;
      expect(created).toBeInstanceOf(Date);
      expect(created!.getTime()).toBe((body.creationDate as number) * 1000);
    });

    it("encodes errors as 400 with __type and message and no query-error header", async () => {
      const arn = "arn:aws:states:us-east-1:000000000000:execution:wire:absent";
      const response = await call("DescribeExecution", { executionArn: arn });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe(JSON_1_0);
      expect(response.headers.get("x-amzn-query-error")).toBeNull();
      expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.json()).toEqual({
        __type: "com.amazonaws.states#ExecutionDoesNotExist",
        message: `Execution Does Not Exist: '${arn}'`,
      });
    });

    it("lets the SDK throw its modelled exceptions", async () => {
      const error = await rejectionOf(
        server.client.send(
          new ListExecutionsCommand({
            stateMachineArn: machineArn,
            statusFilter: "succeeded" as never,
          }),
        ),
      );
      expect(error).toBeInstanceOf(ValidationException);
      expect(error).toBeInstanceOf(SFNServiceException);
      expect(error.$fault).toBe("client");
      expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
      const missing = await rejectionOf(
        server.client.send(
          new ListExecutionsCommand({ stateMachineArn: machineArn.replace(":wire", ":absent") }),
        ),
      );
      expect(missing.name).toBe("StateMachineDoesNotExist");
    });
  });

  describe("malformed requests", () => {
    it("answers an unknown operation with UnknownOperationException", async () => {
      const response = await call("Frobnicate", {});
      expect(response.status).toBe(400);
      expect(response.json().__type).toBe("com.amazon.coral.service#UnknownOperationException");
    });

    it("answers a body that is not a JSON object with SerializationException", async () => {
      for (const body of ["{not json", "[1,2]", '"text"']) {
        const response = await rawCall(server.url, "AWSStepFunctions.ListStateMachines", body);
        expect(response.status, body).toBe(400);
        expect(response.json().__type).toBe("com.amazon.coral.service#SerializationException");
      }
    });

    it("answers members of the wrong JSON type with SerializationException", async () => {
      const cases: Array<[string, object]> = [
        ["ListStateMachines", { maxResults: "5" }],
        ["ListStateMachines", { maxResults: 1.5 }],
        ["DescribeStateMachine", { stateMachineArn: 42 }],
        ["GetExecutionHistory", { executionArn: "arn:aws:states:::execution:a:b", reverseOrder: "yes" }],
        ["CreateStateMachine", { name: "x", definition: PASS_MACHINE, roleArn: ROLE_ARN, tags: { a: "b" } }],
        ["CreateStateMachine", { name: "x", definition: { StartAt: "A" }, roleArn: ROLE_ARN }],
      ];
      for (const [operation, input] of cases) {
        const response = await call(operation, input);
        expect(response.status, JSON.stringify(input)).toBe(400);
        expect(response.json().__type).toBe("com.amazon.coral.service#SerializationException");
      }
    });

    it("answers missing required members with ValidationException in AWS's words, null counting as missing", async () => {
      const cases: Array<[string, object, string]> = [
        ["DescribeStateMachine", {}, "stateMachineArn"],
        ["DescribeExecution", { executionArn: null }, "executionArn"],
        ["StartExecution", { input: "{}" }, "stateMachineArn"],
        ["SendTaskSuccess", { taskToken: "t" }, "output"],
        ["SendTaskHeartbeat", {}, "taskToken"],
        ["ValidateStateMachineDefinition", {}, "definition"],
      ];
      for (const [operation, input, member] of cases) {
        const response = await call(operation, input);
        expect(response.status, operation).toBe(400);
        expect(response.json(), operation).toEqual({
          __type: "com.amazonaws.states#ValidationException",
          message: `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
        });
      }
    });

    it("reports every violation of a request at once", async () => {
      const response = await call("CreateStateMachine", { name: "x" });
      expect(response.json().message).toBe(
        "2 validation errors detected: " +
          "Value null at 'definition' failed to satisfy constraint: Member must not be null; " +
          "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
      );
    });

    it("checks ranges, lengths and enums as AWS does", async () => {
      const cases: Array<[string, object, string]> = [
        [
          "ListStateMachines",
          { maxResults: 1001 },
          "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
        ],
        [
          "ListExecutions",
          { stateMachineArn: machineArn, statusFilter: "succeeded" },
          "Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
        ],
        [
          "ListExecutions",
          { stateMachineArn: machineArn, nextToken: "x".repeat(3097) },
          `Value '${"x".repeat(3097)}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096`,
        ],
        [
          "StartExecution",
          { stateMachineArn: machineArn, name: "" },
          "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ],
        [
          "StopExecution",
          { executionArn: `${machineArn}:x`, cause: "c".repeat(32_769) },
          "Value '*** Sensitive Data Redacted ***' at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768",
        ],
      ];
      for (const [operation, input, violation] of cases) {
        const response = await call(operation, input);
        expect(response.status, operation).toBe(400);
        expect(response.json(), operation).toEqual({
          __type: "com.amazonaws.states#ValidationException",
          message: `1 validation error detected: ${violation}`,
        });
      }
    });

    it("refuses a request body beyond the limit in Step Functions' error format", async () => {
      const response = await rawCall(
        server.url,
        "AWSStepFunctions.StartExecution",
        `{"input":"${"x".repeat(5 * 1024 * 1024)}"}`,
      );
      expect(response.status).toBe(413);
      expect(response.headers.get("x-amzn-query-error")).toBeNull();
      expect(response.json().__type).toBe("com.amazonaws.states#RequestEntityTooLarge");
    });
  });
});
