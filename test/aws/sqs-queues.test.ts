import {
  AddPermissionCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  RemovePermissionCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { ACCOUNT, rejectionOf, type SqsServer, startSqsServer } from "./support.js";

describe.each(BACKENDS)("SQS queues over the wire on %s", (dialect) => {
  let server: SqsServer;

  beforeAll(async () => {
    server = await startSqsServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  const create = async (QueueName: string, Attributes?: Record<string, string>) =>
    (await server.client.send(new CreateQueueCommand({ QueueName, Attributes }))).QueueUrl!;

  const arnOf = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

  describe("creating and finding", () => {
    it("hands out http://HOST:PORT/000000000000/NAME and finds it again by name", async () => {
      const QueueUrl = await create("invoices");
      expect(QueueUrl).toBe(`${server.url}/${ACCOUNT}/invoices`);
      const found = await server.client.send(new GetQueueUrlCommand({ QueueName: "invoices" }));
      expect(found.QueueUrl).toBe(QueueUrl);
    });

    it("answers QueueDoesNotExist with the query code for an unknown name (item 2)", async () => {
      const error = await rejectionOf(
        server.client.send(new GetQueueUrlCommand({ QueueName: "no-such-queue" })),
      );
      expect(error.name).toBe("QueueDoesNotExist");
      expect(error.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
      expect(error.Type).toBe("Sender");
      expect(error.message).toBe("The specified queue does not exist.");
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });

      const otherOwner = await rejectionOf(
        server.client.send(
          new GetQueueUrlCommand({ QueueName: "invoices", QueueOwnerAWSAccountId: "123456789012" }),
        ),
      );
      expect(otherOwner.name).toBe("QueueDoesNotExist");
    });

    it("returns the same URL for identical attributes and refuses different ones (item 26)", async () => {
      const first = await create("same-name", { DelaySeconds: "1" });
      expect(await create("same-name", { DelaySeconds: "1" })).toBe(first);
      const error = await rejectionOf(create("same-name", { DelaySeconds: "2" }));
      expect(error.name).toBe("QueueNameExists");
      expect(error.Code).toBe("QueueAlreadyExists");
      expect(error.message).toBe(
        "A queue already exists with the same name and a different value for attribute DelaySeconds",
      );
    });

    it("refuses to re-create a deleted name within 60 seconds (item 27)", async () => {
      const QueueUrl = await create("short-lived");
      await server.client.send(new DeleteQueueCommand({ QueueUrl }));
      const gone = await rejectionOf(
        server.client.send(new GetQueueUrlCommand({ QueueName: "short-lived" })),
      );
      expect(gone.name).toBe("QueueDoesNotExist");

      const error = await rejectionOf(create("short-lived"));
      expect(error.name).toBe("QueueDeletedRecently");
      expect(error.Code).toBe("AWS.SimpleQueueService.QueueDeletedRecently");
      expect(error.message).toBe(
        "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
      );
      server.advance(61);
      expect(await create("short-lived")).toBe(QueueUrl);
    });

    it("refuses invalid queue names with SQS's error", async () => {
      for (const QueueName of ["bad name!", "x".repeat(81), "dotted.name", ""]) {
        const error = await rejectionOf(create(QueueName));
        expect(error.name, QueueName).toBe("InvalidParameterValue");
        expect(error.Code).toBe("InvalidParameterValue");
      }
      const fifoWithoutSuffix = await rejectionOf(create("no-suffix", { FifoQueue: "true" }));
      expect(fifoWithoutSuffix.name).toBe("InvalidParameterValue");
    });

    it("creates FIFO queues with their defaults", async () => {
      const QueueUrl = await create("ordered.fifo", { FifoQueue: "true" });
      const { Attributes } = await server.client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
      );
      expect(Attributes).toMatchObject({ FifoQueue: "true", ContentBasedDeduplication: "false" });
    });
  });

  describe("attributes", () => {
    it("reports SQS's defaults as strings, timestamps in epoch seconds", async () => {
      const QueueUrl = await create("defaults");
      const { Attributes } = await server.client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
      );
      expect(Attributes).toMatchObject({
        QueueArn: arnOf("defaults"),
        VisibilityTimeout: "30",
        MaximumMessageSize: "1048576",
        MessageRetentionPeriod: "345600",
        DelaySeconds: "0",
        ReceiveMessageWaitTimeSeconds: "0",
        SqsManagedSseEnabled: "true",
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "0",
        ApproximateNumberOfMessagesDelayed: "0",
      });
      expect(Attributes?.CreatedTimestamp).toMatch(/^\d{10}$/);
      expect(Attributes?.LastModifiedTimestamp).toMatch(/^\d{10}$/);
    });

    it("answers no Attributes when none are asked for, and only those asked for", async () => {
      const QueueUrl = await create("picky");
      const none = await server.client.send(new GetQueueAttributesCommand({ QueueUrl }));
      expect(none.Attributes).toBeUndefined();
      const some = await server.client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["VisibilityTimeout", "DelaySeconds"] }),
      );
      expect(some.Attributes).toEqual({ VisibilityTimeout: "30", DelaySeconds: "0" });
    });

    it("sets attributes and refuses unknown names and bad values", async () => {
      const QueueUrl = await create("settable");
      await server.client.send(
        new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "45" } }),
      );
      const { Attributes } = await server.client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["VisibilityTimeout"] }),
      );
      expect(Attributes).toEqual({ VisibilityTimeout: "45" });

      const unknown = await rejectionOf(
        server.client.send(
          new SetQueueAttributesCommand({
            QueueUrl,
            Attributes: { Colour: "blue" } as Record<string, string>,
          }),
        ),
      );
      expect(unknown.name).toBe("InvalidAttributeName");
      const badValue = await rejectionOf(
        server.client.send(
          new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "43201" } }),
        ),
      );
      expect(badValue.name).toBe("InvalidAttributeValue");
    });

    it("refuses a RedrivePolicy without its target, its count, or not JSON (item 19)", async () => {
      const QueueUrl = await create("redrive-checks");
      const dlqArn = arnOf("redrive-checks-dlq");
      await create("redrive-checks-dlq");
      for (const policy of [
        JSON.stringify({ maxReceiveCount: 3 }),
        JSON.stringify({ deadLetterTargetArn: dlqArn }),
        "invalid",
      ]) {
        const error = await rejectionOf(
          server.client.send(
            new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: policy } }),
          ),
        );
        expect(error.name, policy).toBe("InvalidParameterValue");
      }
      await server.client.send(
        new SetQueueAttributesCommand({
          QueueUrl,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) },
        }),
      );
      const sources = await server.client.send(
        new ListDeadLetterSourceQueuesCommand({ QueueUrl: `${server.url}/${ACCOUNT}/redrive-checks-dlq` }),
      );
      expect(sources.queueUrls).toEqual([QueueUrl]);
    });

    it("lists no dead-letter sources as an empty list", async () => {
      const QueueUrl = await create("lonely-dlq");
      const sources = await server.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl }));
      expect(sources.queueUrls).toEqual([]);
    });
  });

  describe("listing", () => {
    it("filters by prefix and pages with MaxResults", async () => {
      for (const name of ["list-a", "list-b", "list-c"]) await create(name);
      const all = await server.client.send(new ListQueuesCommand({ QueueNamePrefix: "list-" }));
      expect(all.QueueUrls?.sort()).toEqual(
        ["list-a", "list-b", "list-c"].map((n) => `${server.url}/${ACCOUNT}/${n}`),
      );
      expect(all.NextToken).toBeUndefined();

      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await server.client.send(
          new ListQueuesCommand({ QueueNamePrefix: "list-", MaxResults: 2, NextToken }),
        );
        expect(page.QueueUrls!.length).toBeLessThanOrEqual(2);
        seen.push(...page.QueueUrls!);
        NextToken = page.NextToken;
      } while (NextToken);
      expect(seen.sort()).toEqual(all.QueueUrls);

      const none = await server.client.send(new ListQueuesCommand({ QueueNamePrefix: "nothing-like-this" }));
      expect(none.QueueUrls).toBeUndefined();
    });
  });

  describe("tags", () => {
    it("tags at creation, adds, removes and lists", async () => {
      const { QueueUrl } = await server.client.send(
        new CreateQueueCommand({ QueueName: "tagged", tags: { team: "billing" } }),
      );
      await server.client.send(new TagQueueCommand({ QueueUrl, Tags: { env: "test", tier: "1" } }));
      await server.client.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["tier"] }));
      const { Tags } = await server.client.send(new ListQueueTagsCommand({ QueueUrl }));
      expect(Tags).toEqual({ team: "billing", env: "test" });

      const untagged = await create("untagged");
      expect(
        (await server.client.send(new ListQueueTagsCommand({ QueueUrl: untagged }))).Tags,
      ).toBeUndefined();
    });
  });

  describe("purging", () => {
    it("removes visible, in-flight and delayed messages, once per 60 seconds (item 28)", async () => {
      const QueueUrl = await create("purged");
      await server.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "inflight" }));
      await server.client.send(new ReceiveMessageCommand({ QueueUrl }));
      await server.client.send(new SendMessageCommand({ QueueUrl, MessageBody: "visible" }));
      await server.client.send(
        new SendMessageCommand({ QueueUrl, MessageBody: "delayed", DelaySeconds: 60 }),
      );

      await server.client.send(new PurgeQueueCommand({ QueueUrl }));
      const again = await rejectionOf(server.client.send(new PurgeQueueCommand({ QueueUrl })));
      expect(again.name).toBe("PurgeQueueInProgress");
      expect(again.Code).toBe("AWS.SimpleQueueService.PurgeQueueInProgress");
      expect(again.message).toBe("Only one PurgeQueue operation on purged is allowed every 60 seconds.");
      expect(again.$metadata).toMatchObject({ httpStatusCode: 403 });

      const { Attributes } = await server.client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
      );
      expect(Attributes).toMatchObject({
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "0",
        ApproximateNumberOfMessagesDelayed: "0",
      });
      server.advance(61);
      const { Messages } = await server.client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
      );
      expect(Messages).toBeUndefined();
      await server.client.send(new PurgeQueueCommand({ QueueUrl }));
    });
  });

  describe("permissions", () => {
    it("answers UnsupportedOperation: there is no per-queue access control to change", async () => {
      const QueueUrl = await create("permissions");
      const add = await rejectionOf(
        server.client.send(
          new AddPermissionCommand({
            QueueUrl,
            Label: "l",
            AWSAccountIds: ["111111111111"],
            Actions: ["SendMessage"],
          }),
        ),
      );
      expect(add.name).toBe("UnsupportedOperation");
      expect(add.Code).toBe("AWS.SimpleQueueService.UnsupportedOperation");
      const remove = await rejectionOf(
        server.client.send(new RemovePermissionCommand({ QueueUrl, Label: "l" })),
      );
      expect(remove.name).toBe("UnsupportedOperation");
      const unknownQueue = await rejectionOf(
        server.client.send(
          new RemovePermissionCommand({ QueueUrl: `${server.url}/${ACCOUNT}/nope`, Label: "l" }),
        ),
      );
      expect(unknownQueue.name).toBe("QueueDoesNotExist");
    });
  });
});
