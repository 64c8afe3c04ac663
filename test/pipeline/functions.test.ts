import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { write810 } from "../../src/formats/samples.js";
import { createFunctions, type Functions } from "../../src/functions/registry.js";
import { type SqsEvent, type SqsRecord, sqsRecord } from "../../src/functions/sqs-event.js";
import { createPipelineApi } from "../../src/pipeline/api-client.js";
import { createInvoice } from "../../src/pipeline/create-invoice.js";
import { executionStatus } from "../../src/pipeline/execution-status.js";
import { handleDeadLetter } from "../../src/pipeline/handle-dead-letter.js";
import { chunksOf, parseFile } from "../../src/pipeline/parse-file.js";
import { postInvoiceCreation } from "../../src/pipeline/post-invoice-creation.js";
import { setFileAsProcessing } from "../../src/pipeline/set-file-as-processing.js";
import { inProcessAnswers, type TaskAnswers } from "../../src/pipeline/task-answers.js";
import { verify } from "../../src/pipeline/verify.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";
import { SERVICE_KEY, type StubService, startStubService } from "./stub-service.js";

const TASKS = "tasks";

/** A machine whose one task sends its input and token to `tasks` and waits for the answer. */
const WAITING = {
  StartAt: "Wait",
  States: {
    Wait: {
      Type: "Task",
      Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      Parameters: {
        QueueUrl: `https://sqs.us-east-1.amazonaws.com/000000000000/${TASKS}`,
        MessageBody: { "taskToken.$": "$$.Task.Token", "task.$": "$" },
      },
      TimeoutSeconds: 600,
      End: true,
    },
  },
};

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe.each(BACKENDS)("the pipeline functions on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  let service: StubService;
  let functions: Functions;
  let machineArn: string;
  let answers: TaskAnswers;
  let executionCount = 0;

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, { concurrency: 2 });
    await states.startWorkers();
    await queues.createQueue(TASKS, { VisibilityTimeout: "600" });
    ({ arn: machineArn } = await states.machines.create({
      name: "waiting",
      definition: JSON.stringify(WAITING),
    }));
    service = await startStubService();
    const api = createPipelineApi({
      url: service.url,
      serviceKey: SERVICE_KEY,
      requestTimeoutMillis: 500,
      transferTimeoutMillis: 2000,
    });
    answers = inProcessAnswers(states);
    functions = createFunctions();
    functions.register("set-file-as-processing", setFileAsProcessing({ api, answers }));
    functions.register("create-invoice", createInvoice({ api, answers }));
    functions.register("post-invoice-creation", postInvoiceCreation({ api, answers }));
    functions.register("verify", verify({ api, answers }));
    functions.register("handle-dead-letter", handleDeadLetter({ answers, queues }));
    functions.register("execution-status", executionStatus({ api }));
    functions.register("parse-file", parseFile({ api, chunkSize: 3 }));
  });
  afterAll(async () => {
    await service?.close();
    await states?.close();
    await queues?.close();
    await store?.close();
    await database.drop();
  });

  /**
   * A waiting task of a real execution, and its message as the record a function gets: the body is
   * `{taskToken, ...fields}`, as digitize's task states send it.
   */
  async function waitingTask(fields: Record<string, unknown>) {
    const { executionArn } = await states.executions.start({
      stateMachineArn: machineArn,
      name: `e${executionCount++}`,
      input: JSON.stringify(fields),
    });
    for (;;) {
      const [message] = await queues.receiveMessage(TASKS, { waitTimeSeconds: 1 });
      if (!message) continue;
      const { taskToken, task } = JSON.parse(message.body) as { taskToken: string; task: object };
      const record = sqsRecord(
        { ...message, body: JSON.stringify({ taskToken, ...task }) },
        queues.arnOf("process-file"),
        "us-east-1",
      );
      return { executionArn, taskToken, record };
    }
  }

  const batch = (...records: SqsRecord[]): SqsEvent => ({ Records: records });

  async function finished(arn: string) {
    for (;;) {
      const execution = await states.executions.describe(arn);
      if (execution.status !== "RUNNING") return execution;
      await sleep(20);
    }
  }

  it("answers each task with the service's answer, and a 4xx with a failure named by its code", async () => {
    service.add("c_ok", "ok.edi", "x");
    service.add("c_done", "done.edi", "x").state = "Done";
    const ok = await waitingTask({ containerId: "c_ok" });
    const done = await waitingTask({ containerId: "c_done" });
    const missing = await waitingTask({ containerId: "c_missing" });

    const response = await functions.invoke(
      "set-file-as-processing",
      batch(ok.record, done.record, missing.record),
    );
    expect(response).toEqual({ batchItemFailures: [] });

    expect(await finished(ok.executionArn)).toMatchObject({
      status: "SUCCEEDED",
      output: JSON.stringify({ state: "Processing" }),
    });
    expect(await finished(done.executionArn)).toMatchObject({
      status: "FAILED",
      error: "InvalidContainerState",
      cause: "container c_done is Done",
    });
    expect(await finished(missing.executionArn)).toMatchObject({
      status: "FAILED",
      error: "ContainerNotFound",
      cause: "no container c_missing",
    });
  });

  it("reports only the records whose call met a 5xx or a timeout, and leaves their tasks waiting", async () => {
    service.add("c_slow", "slow.edi", "x");
    const first = await waitingTask({ containerId: "c_slow" });
    const second = await waitingTask({ containerId: "c_slow" });
    service.fail("verify", 503);
    expect(await functions.invoke("verify", batch(first.record))).toEqual({
      batchItemFailures: [{ itemIdentifier: first.record.messageId }],
    });
    service.fail("verify", "hang");
    expect(await functions.invoke("verify", batch(first.record, second.record))).toEqual({
      batchItemFailures: [
        { itemIdentifier: first.record.messageId },
        { itemIdentifier: second.record.messageId },
      ],
    });
    expect((await states.executions.describe(first.executionArn)).status).toBe("RUNNING");

    // Back up: the records received again are answered.
    service.fail("verify", undefined);
    expect(await functions.invoke("verify", batch(first.record, second.record))).toEqual({
      batchItemFailures: [],
    });
    expect(await finished(first.executionArn)).toMatchObject({ status: "SUCCEEDED" });
    expect(JSON.parse((await finished(second.executionArn)).output!)).toEqual({
      state: "Done",
      parsed: 0,
      created: 0,
    });
  });

  it("drops an answer nothing waits for, and a message without a token", async () => {
    service.add("c_twice", "twice.edi", "x");
    const task = await waitingTask({ containerId: "c_twice" });
    expect(await functions.invoke("set-file-as-processing", batch(task.record))).toEqual({
      batchItemFailures: [],
    });
    await finished(task.executionArn);
    // The same message again (SQS delivers at least once): TaskDoesNotExist, dropped.
    expect(await functions.invoke("set-file-as-processing", batch(task.record))).toEqual({
      batchItemFailures: [],
    });
    const forged = {
      ...task.record,
      messageId: "forged",
      body: JSON.stringify({ taskToken: "nope", containerId: "c_twice" }),
    };
    const tokenless = { ...task.record, messageId: "tokenless", body: "not json" };
    expect(await functions.invoke("set-file-as-processing", batch(forged, tokenless))).toEqual({
      batchItemFailures: [],
    });
  });

  it("retries when the answer itself cannot be delivered", async () => {
    service.add("c_answer", "answer.edi", "x");
    const task = await waitingTask({ containerId: "c_answer" });
    const failingAnswers: TaskAnswers = {
      sendTaskSuccess: async () => {
        throw Object.assign(new Error("the database is away"), { name: "ConnectionError" });
      },
      sendTaskFailure: async () => undefined,
    };
    const api = createPipelineApi({
      url: service.url,
      serviceKey: SERVICE_KEY,
      requestTimeoutMillis: 500,
      transferTimeoutMillis: 500,
    });
    const elsewhere = createFunctions();
    elsewhere.register("set-file-as-processing", setFileAsProcessing({ api, answers: failingAnswers }));
    expect(await elsewhere.invoke("set-file-as-processing", batch(task.record))).toEqual({
      batchItemFailures: [{ itemIdentifier: task.record.messageId }],
    });
    await states.executions.stop(task.executionArn, {});
  });

  it("creates an invoice and checks it, failing a task whose message lacks what it needs", async () => {
    const container = service.add("c_inv", "inv.edi", "x");
    container.parsed = [{} as never, {} as never];
    const create = await waitingTask({ containerId: "c_inv", key: 2 });
    const badKey = await waitingTask({ containerId: "c_inv", key: "two" });
    const unknownKey = await waitingTask({ containerId: "c_inv", key: 3 });
    expect(
      await functions.invoke("create-invoice", batch(create.record, badKey.record, unknownKey.record)),
    ).toEqual({
      batchItemFailures: [],
    });
    expect(JSON.parse((await finished(create.executionArn)).output!)).toEqual({
      invoiceId: "i_c_inv_2",
      created: true,
    });
    expect(await finished(badKey.executionArn)).toMatchObject({
      status: "FAILED",
      error: "Pipeline.InvalidMessage",
    });
    expect(await finished(unknownKey.executionArn)).toMatchObject({
      status: "FAILED",
      error: "InvoiceKeyNotFound",
    });

    const check = await waitingTask({ containerId: "c_inv", key: 2, invoiceId: "i_c_inv_2" });
    const noInvoice = await waitingTask({ containerId: "c_inv", key: 2 });
    expect(await functions.invoke("post-invoice-creation", batch(check.record, noInvoice.record))).toEqual({
      batchItemFailures: [],
    });
    expect(JSON.parse((await finished(check.executionArn)).output!)).toEqual({
      supplier: "matched",
      totals: "ok",
    });
    expect(await finished(noInvoice.executionArn)).toMatchObject({
      status: "FAILED",
      error: "Pipeline.InvalidMessage",
    });
  });

  it("fails a dead-lettered task, naming the queue and its receives", async () => {
    await queues.createQueue("create-invoice-dlq");
    await queues.createQueue("create-invoice", {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: queues.arnOf("create-invoice-dlq"),
        maxReceiveCount: 3,
      }),
    });
    const task = await waitingTask({ containerId: "c_dead", key: 1 });
    const record = {
      ...task.record,
      eventSourceARN: queues.arnOf("create-invoice-dlq"),
      attributes: {
        ...task.record.attributes,
        DeadLetterQueueSourceArn: queues.arnOf("create-invoice"),
        ApproximateReceiveCount: "9",
      },
    };
    expect(await functions.invoke("handle-dead-letter", batch(record))).toEqual({ batchItemFailures: [] });
    expect(await finished(task.executionArn)).toMatchObject({
      status: "FAILED",
      error: "Pipeline.DeadLettered",
      cause:
        "dead-lettered: the message to queue create-invoice was received 3 times without being processed",
    });
  });

  it("tells the service of status changes, retrying only while it is unavailable", async () => {
    service.add("c_status", "status.edi", "x", "arn:exec");
    const event = (status: string, input: unknown, extra: object = {}) => ({
      version: "0",
      "detail-type": "Step Functions Execution Status Change",
      source: "aws.states",
      detail: { executionArn: "arn:exec", status, input: JSON.stringify(input), ...extra },
    });
    const record = (id: string, body: unknown): SqsRecord => ({
      messageId: id,
      receiptHandle: id,
      body: typeof body === "string" ? body : JSON.stringify(body),
      attributes: {},
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: queues.arnOf("execution-status"),
      awsRegion: "us-east-1",
    });
    const failed = event(
      "FAILED",
      { containerId: "c_status" },
      { error: "Format.Unknown", cause: '{"errorMessage":"bad"}' },
    );
    expect(
      await functions.invoke(
        "execution-status",
        batch(
          record("a", failed),
          record("b", event("RUNNING", { nothing: 1 })),
          record("c", "garbage"),
          record("d", event("ABORTED", { containerId: "c_gone" })),
          // A start and a success ask nothing of the container: the service is not called.
          record("e", event("RUNNING", { containerId: "c_status" }, { redriveCount: 0 })),
          record("f", event("SUCCEEDED", { containerId: "c_status" })),
        ),
      ),
    ).toEqual({ batchItemFailures: [] });
    expect(service.containers.get("c_status")).toMatchObject({
      state: "Error",
      error: "Format.Unknown: bad",
    });
    expect(service.calls.filter((call) => call.route === "execution-status").map((call) => call.id)).toEqual([
      "c_status",
      "c_gone",
    ]);

    service.fail("execution-status", 502);
    expect(await functions.invoke("execution-status", batch(record("e", failed)))).toEqual({
      batchItemFailures: [{ itemIdentifier: "e" }],
    });
    service.fail("execution-status", undefined);
  });

  it("parses a file, stages its invoices and hands back key ranges, never the invoices", async () => {
    const text = [...write810({ seed: 7, invoices: 7, minLines: 1, maxLines: 3 })].join("");
    service.add("c_810", "seven.edi", text);
    const result = await functions.invoke("parse-file", { containerId: "c_810" });
    expect(result).toEqual({
      parsed: 7,
      chunks: [
        { first: 1, last: 3 },
        { first: 4, last: 6 },
        { first: 7, last: 7 },
      ],
    });
    expect(service.containers.get("c_810")!.parsed).toHaveLength(7);
    expect(service.containers.get("c_810")!.parsed![0]!.source).toMatchObject({
      format: "x12",
      file: "seven.edi",
    });
    expect(chunksOf(1000, 500)).toEqual([
      { first: 1, last: 500 },
      { first: 501, last: 1000 },
    ]);
  });

  it("fails an unreadable file with the parser's first diagnostic, as `inflow parse` prints it", async () => {
    service.add("c_poison", "poison.bin", Buffer.from([0, 1, 2, 3, 255, 254]));
    await expect(functions.invoke("parse-file", { containerId: "c_poison" })).rejects.toMatchObject({
      name: "Format.Unknown",
      report: {
        errorType: "Format.Unknown",
        errorMessage:
          "poison.bin: line 1:1: fatal Format.Unknown: the format could not be recognised (not X12, EDIFACT, JSON or delimited text); pass --format",
      },
    });
    service.add("c_empty", "empty.json", "[]");
    await expect(functions.invoke("parse-file", { containerId: "c_empty" })).rejects.toMatchObject({
      name: "Pipeline.NoInvoices",
    });
    service.fail("file", 503);
    await expect(functions.invoke("parse-file", { containerId: "c_empty" })).rejects.toMatchObject({
      name: "Pipeline.ServiceUnavailable",
    });
    service.fail("file", undefined);
  });
});
