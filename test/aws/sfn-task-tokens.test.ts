import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { asl, ROLE_ARN, type SfnServer, settled, startSfnServer } from "./sfn-support.js";
import { rejectionOf } from "./support.js";

/** The callback pattern of the digitize pipeline: send the token to a queue, wait for the answer. */
const callbackMachine = (
  queueUrl: string,
  options: { TimeoutSeconds?: number; HeartbeatSeconds?: number } = {},
) =>
  asl({
    StartAt: "SendMessageWithWait",
    States: {
      SendMessageWithWait: {
        Type: "Task",
        Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters: {
          QueueUrl: queueUrl,
          MessageBody: { "Message.$": "$.Message", "TaskToken.$": "$$.Task.Token" },
        },
        ...options,
        End: true,
      },
    },
  });

describe.each(BACKENDS)("Step Functions task tokens on %s (items 37, 38)", (dialect) => {
  let server: SfnServer;
  let sqs: SQSClient;
  let queueUrl: string;
  const machines: Record<string, string> = {};

  beforeAll(async () => {
    server = await startSfnServer(dialect);
    sqs = new SQSClient({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "callbacks" }))).QueueUrl!;
    const definitions = {
      waits: callbackMachine(queueUrl),
      timesOut: callbackMachine(queueUrl, { TimeoutSeconds: 2 }),
      heartbeats: callbackMachine(queueUrl, { TimeoutSeconds: 600, HeartbeatSeconds: 60 }),
    };
    for (const [name, definition] of Object.entries(definitions)) {
      const created = await server.client.send(
        new CreateStateMachineCommand({ name, definition, roleArn: ROLE_ARN }),
      );
      machines[name] = created.stateMachineArn!;
    }
  });
  afterAll(async () => {
    sqs?.destroy();
    expect(server?.loggedErrors).toEqual([]);
    await server?.close();
  });

  /** Starts an execution of `machine` and returns it with the task token its message carried. */
  const startAndReceiveToken = async (machine: string, message: string) => {
    const { executionArn } = await server.client.send(
      new StartExecutionCommand({
        stateMachineArn: machines[machine],
        input: JSON.stringify({ Message: message }),
      }),
    );
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }),
      );
      const body = Messages?.[0]
        ? (JSON.parse(Messages[0].Body!) as { Message: string; TaskToken: string })
        : undefined;
      if (body?.Message === message) return { executionArn: executionArn!, token: body.TaskToken };
    }
    throw new Error(`no message "${message}" arrived`);
  };

  const typesOf = async (executionArn: string) =>
    (await server.client.send(new GetExecutionHistoryCommand({ executionArn }))).events!;

  it("resumes with SendTaskSuccess's output: 8 events ending ExecutionSucceeded", async () => {
    const { executionArn, token } = await startAndReceiveToken("waits", "succeed me");
    await server.client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify("test_message_txt") }),
    );
    const described = await settled(server.client, executionArn);
    expect(described.status).toBe("SUCCEEDED");
    expect(described.output).toBe('"test_message_txt"');
    const events = await typesOf(executionArn);
    expect(events.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
    expect(events[2]!.taskScheduledEventDetails).toMatchObject({
      resourceType: "sqs",
      resource: "sendMessage.waitForTaskToken",
      region: "us-east-1",
    });
    expect(JSON.parse(events[2]!.taskScheduledEventDetails!.parameters!)).toEqual({
      QueueUrl: queueUrl,
      MessageBody: { Message: "succeed me", TaskToken: token },
    });
    expect(events[5]!.taskSucceededEventDetails).toMatchObject({
      resourceType: "sqs",
      resource: "sendMessage.waitForTaskToken",
      output: '"test_message_txt"',
    });
    expect(events[7]!.executionSucceededEventDetails?.output).toBe('"test_message_txt"');
  });

  it("fails with SendTaskFailure's error and cause", async () => {
    const { executionArn, token } = await startAndReceiveToken("waits", "fail me");
    await server.client.send(
      new SendTaskFailureCommand({ taskToken: token, error: "Failure error", cause: "Failure cause" }),
    );
    const described = await settled(server.client, executionArn);
    expect(described).toMatchObject({ status: "FAILED", error: "Failure error", cause: "Failure cause" });
    const events = await typesOf(executionArn);
    expect(events.map((event) => event.type).slice(-2)).toEqual(["TaskFailed", "ExecutionFailed"]);
    expect(events.at(-2)!.taskFailedEventDetails).toMatchObject({
      error: "Failure error",
      cause: "Failure cause",
    });
    expect(events.at(-1)!.executionFailedEventDetails).toEqual({
      error: "Failure error",
      cause: "Failure cause",
    });
  });

  it("times the task out after TimeoutSeconds, and the late answer gets TaskTimedOut", async () => {
    const { executionArn, token } = await startAndReceiveToken("timesOut", "too late");
    const described = await settled(server.client, executionArn, 15_000);
    expect(described).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    const events = await typesOf(executionArn);
    expect(events.map((event) => event.type).slice(-2)).toEqual(["TaskTimedOut", "ExecutionFailed"]);
    expect(events.at(-2)!.taskTimedOutEventDetails).toMatchObject({ error: "States.Timeout" });
    const late = await rejectionOf(
      server.client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    );
    expect(late.name).toBe("TaskTimedOut");
  });

  it("takes heartbeats without writing history, then the answer", async () => {
    const { executionArn, token } = await startAndReceiveToken("heartbeats", "beat");
    const before = (await typesOf(executionArn)).length;
    await server.client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    expect((await typesOf(executionArn)).length).toBe(before);
    await server.client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }));
    expect((await settled(server.client, executionArn)).status).toBe("SUCCEEDED");
    const answered = await rejectionOf(
      server.client.send(new SendTaskHeartbeatCommand({ taskToken: token })),
    );
    expect(answered.name).toBe("TaskDoesNotExist");
  });

  it("refuses a token it never handed out with InvalidToken, and output that is not JSON with InvalidOutput", async () => {
    for (const command of [
      new SendTaskSuccessCommand({ taskToken: "not-a-token", output: "{}" }),
      new SendTaskFailureCommand({ taskToken: "not-a-token" }),
      new SendTaskHeartbeatCommand({ taskToken: "not-a-token" }),
    ]) {
      const error = await rejectionOf(server.client.send(command as SendTaskSuccessCommand));
      expect(error.name).toBe("InvalidToken");
    }
    const { executionArn, token } = await startAndReceiveToken("waits", "bad output");
    const badOutput = await rejectionOf(
      server.client.send(new SendTaskSuccessCommand({ taskToken: token, output: "not json" })),
    );
    expect(badOutput.name).toBe("InvalidOutput");
    const still = await server.client.send(new DescribeExecutionCommand({ executionArn }));
    expect(still.status).toBe("RUNNING");
    await server.client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }));
    expect((await settled(server.client, executionArn)).status).toBe("SUCCEEDED");
  });
});
