import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { asl, PASS_MACHINE, ROLE_ARN, type SfnServer, startSfnServer } from "./sfn-support.js";
import { rejectionOf } from "./support.js";

const ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";

const WAIT_FOR_TOKEN = asl({
  StartAt: "SendMessageWithWait",
  States: {
    SendMessageWithWait: {
      Type: "Task",
      Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      Parameters: { QueueUrl: "http://127.0.0.1/000000000000/q", "MessageBody.$": "$$.Task.Token" },
      End: true,
    },
  },
});

describe.each(BACKENDS)("Step Functions state machines on %s", (dialect) => {
  let server: SfnServer;

  beforeAll(async () => {
    server = await startSfnServer(dialect);
  });
  afterAll(async () => {
    expect(server?.loggedErrors).toEqual([]);
    await server?.close();
  });

  const create = (name: string, definition = PASS_MACHINE, extra: object = {}) =>
    server.client.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE_ARN, ...extra }));

  describe("CreateStateMachine and DescribeStateMachine", () => {
    it("creates a machine and describes it as AWS does", async () => {
      const created = await create("described");
      expect(created.stateMachineArn).toBe(`${ARN_PREFIX}described`);
      expect(created.creationDate).toBeInstanceOf(Date);
      const described = await server.client.send(
        new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
      );
      expect(described).toMatchObject({
        stateMachineArn: created.stateMachineArn,
        name: "described",
        status: "ACTIVE",
        definition: PASS_MACHINE,
        roleArn: ROLE_ARN,
        type: "STANDARD",
        creationDate: created.creationDate,
        loggingConfiguration: { level: "OFF", includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      });
    });

    it("is idempotent on an identical request and refuses a different one with StateMachineAlreadyExists", async () => {
      const first = await create("idempotent");
      const again = await create("idempotent", PASS_MACHINE, {
        tags: [{ key: "ignored", value: "on repeat" }],
      });
      expect(again.stateMachineArn).toBe(first.stateMachineArn);
      expect(again.creationDate).toEqual(first.creationDate);
      const other = asl({ StartAt: "A", States: { A: { Type: "Succeed" } } });
      const differentDefinition = await rejectionOf(create("idempotent", other));
      expect(differentDefinition.name).toBe("StateMachineAlreadyExists");
      expect(differentDefinition.message).toBe(`State Machine Already Exists: '${ARN_PREFIX}idempotent'`);
      const differentType = await rejectionOf(create("idempotent", PASS_MACHINE, { type: "EXPRESS" }));
      expect(differentType.name).toBe("StateMachineAlreadyExists");
    });

    it("refuses a definition without States with AWS's InvalidDefinition message (item 36)", async () => {
      const error = await rejectionOf(create("invalid", asl({ StartAt: "A" })));
      expect(error.name).toBe("InvalidDefinition");
      expect(error.message).toBe(
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'",
      );
    });

    it("refuses .waitForTaskToken in an EXPRESS machine", async () => {
      const error = await rejectionOf(create("express-callback", WAIT_FOR_TOKEN, { type: "EXPRESS" }));
      expect(error.name).toBe("InvalidDefinition");
      expect(error.message).toContain("/States/SendMessageWithWait/Resource");
      await expect(create("standard-callback", WAIT_FOR_TOKEN)).resolves.toBeDefined();
    });

    it("refuses a name with characters AWS does not allow with InvalidName", async () => {
      const error = await rejectionOf(create("has spaces"));
      expect(error.name).toBe("InvalidName");
      expect(error.message).toBe("Invalid Name: 'has spaces'");
    });

    it("answers InvalidArn and StateMachineDoesNotExist in AWS's words", async () => {
      const notAnArn = await rejectionOf(
        server.client.send(new DescribeStateMachineCommand({ stateMachineArn: "not_a_valid_arn" })),
      );
      expect(notAnArn.name).toBe("InvalidArn");
      expect(notAnArn.message).toBe("Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'");
      const executionArn = "arn:aws:states:us-east-1:000000000000:execution:described:x";
      const wrongKind = await rejectionOf(
        server.client.send(new DescribeStateMachineCommand({ stateMachineArn: executionArn })),
      );
      expect(wrongKind.name).toBe("InvalidArn");
      expect(wrongKind.message).toBe("Invalid Arn: 'Resource type not valid in this context: execution'");
      const absent = await rejectionOf(
        server.client.send(new DescribeStateMachineCommand({ stateMachineArn: `${ARN_PREFIX}absent` })),
      );
      expect(absent.name).toBe("StateMachineDoesNotExist");
      expect(absent.message).toBe(`State Machine Does Not Exist: '${ARN_PREFIX}absent'`);
    });
  });

  describe("UpdateStateMachine", () => {
    it("replaces the definition and role, reporting the update date", async () => {
      const { stateMachineArn } = await create("updated");
      const definition = asl({ StartAt: "A", States: { A: { Type: "Pass", Result: "after", End: true } } });
      const roleArn = "arn:aws:iam::000000000000:role/other";
      const updated = await server.client.send(
        new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn }),
      );
      expect(updated.updateDate).toBeInstanceOf(Date);
      const described = await server.client.send(new DescribeStateMachineCommand({ stateMachineArn }));
      expect(described.definition).toBe(definition);
      expect(described.roleArn).toBe(roleArn);
    });

    it("needs something to change, and a valid definition", async () => {
      const { stateMachineArn } = await create("not-updated");
      const nothing = await rejectionOf(
        server.client.send(new UpdateStateMachineCommand({ stateMachineArn })),
      );
      expect(nothing.name).toBe("MissingRequiredParameter");
      expect(nothing.message).toBe(
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
      );
      const invalid = await rejectionOf(
        server.client.send(
          new UpdateStateMachineCommand({ stateMachineArn, definition: asl({ States: {} }) }),
        ),
      );
      expect(invalid.name).toBe("InvalidDefinition");
    });
  });

  describe("ListStateMachines and DeleteStateMachine", () => {
    it("lists by name in pages, and deleted machines are gone", async () => {
      // Mixed case and punctuation: the order must not depend on the database's collation.
      const names = ["paged-0", "Paged-B", "paged_c", "PAGED-1", "paged-a"];
      for (const name of names) await create(name);
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await server.client.send(new ListStateMachinesCommand({ maxResults: 2, nextToken }));
        expect(page.stateMachines!.length).toBeLessThanOrEqual(2);
        for (const machine of page.stateMachines!) {
          expect(machine).toEqual({
            stateMachineArn: `${ARN_PREFIX}${machine.name}`,
            name: machine.name,
            type: "STANDARD",
            creationDate: expect.any(Date),
          });
          seen.push(machine.name!);
        }
        nextToken = page.nextToken;
        pages += 1;
      } while (nextToken);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining(names));
      expect(pages).toBeGreaterThanOrEqual(3);

      await server.client.send(new DeleteStateMachineCommand({ stateMachineArn: `${ARN_PREFIX}paged-0` }));
      const { stateMachines } = await server.client.send(new ListStateMachinesCommand({}));
      expect(stateMachines!.map((machine) => machine.name)).not.toContain("paged-0");
      const gone = await rejectionOf(
        server.client.send(new DescribeStateMachineCommand({ stateMachineArn: `${ARN_PREFIX}paged-0` })),
      );
      expect(gone.name).toBe("StateMachineDoesNotExist");
    });

    it("deletes what does not exist without complaint, but not what is not an ARN", async () => {
      await expect(
        server.client.send(new DeleteStateMachineCommand({ stateMachineArn: `${ARN_PREFIX}never-was` })),
      ).resolves.toBeDefined();
      const error = await rejectionOf(
        server.client.send(new DeleteStateMachineCommand({ stateMachineArn: "nope" })),
      );
      expect(error.name).toBe("InvalidArn");
    });

    it("refuses a token that is not one it handed out with InvalidToken", async () => {
      const error = await rejectionOf(
        server.client.send(new ListStateMachinesCommand({ nextToken: "garbage" })),
      );
      expect(error.name).toBe("InvalidToken");
    });
  });

  describe("ValidateStateMachineDefinition (item 40)", () => {
    const validate = (definition: string, type?: "STANDARD" | "EXPRESS") =>
      server.client.send(new ValidateStateMachineDefinitionCommand({ definition, type }));

    it("says OK for a valid definition", async () => {
      const output = await validate(PASS_MACHINE);
      expect(output.result).toBe("OK");
      expect(output.diagnostics).toEqual([]);
      expect(output.truncated).toBe(false);
    });

    it("answers 200 FAIL with AWS's diagnostic for {}", async () => {
      const output = await validate("{}");
      expect(output.result).toBe("FAIL");
      expect(output.diagnostics).toEqual([
        {
          severity: "ERROR",
          code: "SCHEMA_VALIDATION_FAILED",
          message: "These fields are required: [States, StartAt]",
          location: "/",
        },
      ]);
    });

    it("answers INVALID_JSON_DESCRIPTION for text that is not JSON", async () => {
      const output = await validate("not a definition");
      expect(output.result).toBe("FAIL");
      expect(output.diagnostics).toEqual([
        {
          severity: "ERROR",
          code: "INVALID_JSON_DESCRIPTION",
          message:
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]",
          location: '[Source: (String)"not a definition"; line: 1, column: 4]',
        },
      ]);
    });

    it("fails .waitForTaskToken in an EXPRESS definition at the resource", async () => {
      const output = await validate(WAIT_FOR_TOKEN, "EXPRESS");
      expect(output.result).toBe("FAIL");
      expect(output.diagnostics).toEqual([
        {
          severity: "ERROR",
          code: "SCHEMA_VALIDATION_FAILED",
          message: "Express state machine does not support '.waitForTaskToken' service integration ",
          location: "/States/SendMessageWithWait/Resource",
        },
      ]);
      expect((await validate(WAIT_FOR_TOKEN, "STANDARD")).result).toBe("OK");
    });

    it("caps the diagnostics at maxResults and says it truncated them", async () => {
      const broken = asl({
        StartAt: "A",
        States: {
          A: { Type: "Pass", Next: "X" },
          B: { Type: "Pass", Next: "Y" },
          C: { Type: "Pass", Next: "Z" },
        },
      });
      const all = await validate(broken);
      expect(all.diagnostics!.length).toBeGreaterThan(1);
      const capped = await server.client.send(
        new ValidateStateMachineDefinitionCommand({ definition: broken, maxResults: 1 }),
      );
      expect(capped.result).toBe("FAIL");
      expect(capped.diagnostics).toHaveLength(1);
      expect(capped.truncated).toBe(true);
    });
  });
});
