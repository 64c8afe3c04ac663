import type { Message, QueueAttributeName, SQSClient } from "@aws-sdk/client-sqs";
import { type Command, InvalidArgumentError } from "commander";
import { type ApiOptions, sqsClient, withApiOptions, withClient } from "../api-client.js";
import { table, time, truncate, write, writeJson } from "../output.js";

/** ListQueues returns at most 1,000 queues a page; a listing stops after this many pages. */
const MAX_LIST_PAGES = 100;
const MAX_PEEK = 100;
/** SQS hands out at most 10 messages per receive. */
const RECEIVE_BATCH = 10;
const BODY_COLUMN_WIDTH = 60;

interface QueueRow {
  name: string;
  url: string;
  arn: string;
  fifo: boolean;
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetterQueue: { name: string; arn: string; visible: number | null; maxReceiveCount: number } | null;
}

const ATTRIBUTES: QueueAttributeName[] = [
  "QueueArn",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "RedrivePolicy",
];

export function registerQueues(program: Command): void {
  const queues = program
    .command("queues")
    .description("Look at and operate the queues of a running Inflow (through its SQS API).");

  withApiOptions(
    queues
      .command("ls")
      .description("List the queues with their depths and dead-letter queues.")
      .option("--prefix <prefix>", "only queues whose names start with this", parsePrefix),
  ).action((options: ApiOptions & { prefix?: string }) => listQueues(options));

  withApiOptions(
    queues
      .command("peek")
      .description(
        "Show the visible messages of a queue without consuming them (a peek counts as a receive).",
      )
      .addHelpText(
        "after",
        `
SQS has no read-only look at a queue, so peek receives each message with a
visibility timeout of 0 and never deletes it: the message stays available to
consumers. The price is that each peek counts as a receive:
  - ApproximateReceiveCount goes up by one;
  - on a queue with a redrive policy, a message already received
    maxReceiveCount times moves to the dead-letter queue, as on any receive;
  - on a standard queue the peeked message goes to the back of the line
    (standard queues promise no order); FIFO queues keep their order.
Messages in flight (received, not yet deleted) and delayed ones are not shown.`,
      )
      .argument("<queue>", "queue name or URL")
      .option(
        "-n, --number <n>",
        `how many messages to show, 1 to ${MAX_PEEK}`,
        parsePeekCount,
        RECEIVE_BATCH,
      ),
  ).action((queue: string, options: ApiOptions & { number: number }) => peekQueue(queue, options));

  withApiOptions(
    queues
      .command("redrive")
      .description(
        "Move the messages of a dead-letter queue back to the queues they came from (SQS StartMessageMoveTask), or to --to.",
      )
      .argument("<dlq>", "dead-letter queue name or URL")
      .option("--to <queue>", "move them to this queue (name or URL) instead of their source queues")
      .option(
        "--rate <n>",
        "at most this many messages a second, 1 to 500 (default: as fast as possible)",
        parseRate,
      ),
  ).action((dlq: string, options: ApiOptions & { to?: string; rate?: number }) => redriveQueue(dlq, options));
}

function parsePrefix(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,80}$/.test(value)) {
    throw new InvalidArgumentError("expected 1 to 80 letters, digits, hyphens, underscores or dots.");
  }
  return value;
}

function parsePeekCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_PEEK)
    throw new InvalidArgumentError(`expected 1 to ${MAX_PEEK}.`);
  return n;
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 500) throw new InvalidArgumentError("expected 1 to 500.");
  return n;
}

/** A queue URL as given, or the URL of a queue name. */
async function queueUrlOf(client: SQSClient, queue: string): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  const { GetQueueUrlCommand } = await import("@aws-sdk/client-sqs");
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queue }));
  return QueueUrl!;
}

const nameOfArn = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);
const count = (value: string | undefined) => Number(value ?? 0);

async function listQueues(options: ApiOptions & { prefix?: string }): Promise<void> {
  const rows = await withClient(options.endpoint, sqsClient, async (client) => {
    const { ListQueuesCommand, GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
    const urls: string[] = [];
    let NextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const answer = await client.send(
        new ListQueuesCommand({ QueueNamePrefix: options.prefix, MaxResults: 1000, NextToken }),
      );
      urls.push(...(answer.QueueUrls ?? []));
      NextToken = answer.NextToken;
      if (!NextToken) break;
    }
    const described = [];
    // One queue at a time: an operator's listing should not load the server it inspects.
    for (const url of urls) {
      const { Attributes = {} } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ATTRIBUTES }),
      );
      described.push({ url, attributes: Attributes });
    }
    return described;
  });

  const byArn = new Map(rows.map((row) => [row.attributes.QueueArn, row.attributes]));
  const queues: QueueRow[] = rows.map(({ url, attributes }) => {
    const arn = attributes.QueueArn ?? "";
    const redrive = attributes.RedrivePolicy
      ? (JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number })
      : undefined;
    const dlq = redrive ? byArn.get(redrive.deadLetterTargetArn) : undefined;
    return {
      name: nameOfArn(arn),
      url,
      arn,
      fifo: arn.endsWith(".fifo"),
      visible: count(attributes.ApproximateNumberOfMessages),
      inFlight: count(attributes.ApproximateNumberOfMessagesNotVisible),
      delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
      deadLetterQueue: redrive
        ? {
            name: nameOfArn(redrive.deadLetterTargetArn),
            arn: redrive.deadLetterTargetArn,
            // A DLQ outside the listing (another prefix) has no depth here.
            visible: dlq ? count(dlq.ApproximateNumberOfMessages) : null,
            maxReceiveCount: Number(redrive.maxReceiveCount),
          }
        : null,
    };
  });

  if (options.json) return writeJson(queues);
  if (queues.length === 0) {
    return write(options.prefix ? `No queues named ${options.prefix}*.\n` : "No queues.\n");
  }
  await write(
    table(queues, [
      { header: "NAME", value: (q) => q.name },
      { header: "VISIBLE", value: (q) => String(q.visible), align: "right" },
      { header: "IN FLIGHT", value: (q) => String(q.inFlight), align: "right" },
      { header: "DELAYED", value: (q) => String(q.delayed), align: "right" },
      { header: "DLQ", value: (q) => q.deadLetterQueue?.name ?? "-" },
      { header: "DLQ DEPTH", value: (q) => String(q.deadLetterQueue?.visible ?? "-"), align: "right" },
    ]),
  );
}

interface PeekedMessage {
  messageId: string;
  body: string;
  sentAt: string | null;
  receiveCount: number;
  groupId: string | null;
  attributes: Record<string, string>;
  messageAttributes: Message["MessageAttributes"];
}

async function peekQueue(queue: string, options: ApiOptions & { number: number }): Promise<void> {
  const messages = await withClient(options.endpoint, sqsClient, async (client) => {
    const { ReceiveMessageCommand } = await import("@aws-sdk/client-sqs");
    const QueueUrl = await queueUrlOf(client, queue);
    const seen = new Map<string, Message>();
    // Visibility 0 puts each peeked message back in line at once, so a later receive may hand it
    // out again: a short batch or a repeat means every visible message has been seen.
    while (seen.size < options.number) {
      const wanted = Math.min(RECEIVE_BATCH, options.number - seen.size);
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: wanted,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      const fresh = Messages.filter((message) => !seen.has(message.MessageId!));
      for (const message of fresh) seen.set(message.MessageId!, message);
      if (Messages.length < wanted || fresh.length < Messages.length) break;
    }
    return [...seen.values()];
  });

  const peeked: PeekedMessage[] = messages.map((message) => {
    const attributes = (message.Attributes ?? {}) as Record<string, string>;
    return {
      messageId: message.MessageId!,
      body: message.Body ?? "",
      sentAt: attributes.SentTimestamp ? new Date(Number(attributes.SentTimestamp)).toISOString() : null,
      receiveCount: count(attributes.ApproximateReceiveCount),
      groupId: attributes.MessageGroupId ?? null,
      attributes,
      messageAttributes: message.MessageAttributes ?? {},
    };
  });

  if (options.json) return writeJson(peeked);
  if (peeked.length === 0) return write(`No visible messages in ${queue}.\n`);
  await write(
    table(peeked, [
      { header: "MESSAGE ID", value: (m) => m.messageId },
      { header: "SENT", value: (m) => time(m.sentAt ? new Date(m.sentAt) : undefined) },
      { header: "RECEIVES", value: (m) => String(m.receiveCount), align: "right" },
      ...(peeked.some((m) => m.groupId !== null)
        ? [{ header: "GROUP", value: (m: PeekedMessage) => m.groupId ?? "-" }]
        : []),
      { header: "BODY", value: (m) => truncate(m.body, BODY_COLUMN_WIDTH) },
    ]),
  );
}

async function redriveQueue(
  dlq: string,
  options: ApiOptions & { to?: string; rate?: number },
): Promise<void> {
  const task = await withClient(options.endpoint, sqsClient, async (client) => {
    const { GetQueueAttributesCommand, StartMessageMoveTaskCommand, ListMessageMoveTasksCommand } =
      await import("@aws-sdk/client-sqs");
    const arnOf = async (queue: string) => {
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: await queueUrlOf(client, queue),
          AttributeNames: ["QueueArn"],
        }),
      );
      return Attributes!.QueueArn!;
    };
    const sourceArn = await arnOf(dlq);
    const destinationArn = options.to === undefined ? undefined : await arnOf(options.to);
    const { TaskHandle } = await client.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        MaxNumberOfMessagesPerSecond: options.rate,
      }),
    );
    // The newest task of the source is the one just started (its handle is listed only while it
    // runs, and a small queue may be done already): it says how many messages it moves.
    const { Results = [] } = await client.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }),
    );
    const started = Results[0];
    return {
      taskHandle: TaskHandle!,
      sourceArn,
      destinationArn: destinationArn ?? null,
      status: started?.Status ?? "RUNNING",
      approximateNumberOfMessagesToMove: started?.ApproximateNumberOfMessagesToMove ?? null,
      approximateNumberOfMessagesMoved: started?.ApproximateNumberOfMessagesMoved ?? 0,
    };
  });

  if (options.json) return writeJson(task);
  const destination = task.destinationArn ? nameOfArn(task.destinationArn) : "their source queues";
  const from = nameOfArn(task.sourceArn);
  if (task.status === "COMPLETED") {
    return write(`Moved ${task.approximateNumberOfMessagesMoved} messages from ${from} to ${destination}.\n`);
  }
  const amount =
    task.approximateNumberOfMessagesToMove === null
      ? "the messages"
      : `about ${task.approximateNumberOfMessagesToMove} messages`;
  await write(
    `Moving ${amount} from ${from} to ${destination} (task ${task.status.toLowerCase()}).\n` +
      `Follow it with \`inflow queues ls\`; to stop it: aws sqs cancel-message-move-task --task-handle ${task.taskHandle}\n`,
  );
}
