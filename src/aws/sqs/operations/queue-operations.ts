import { queueDoesNotExist } from "../../../queues/errors.js";
import {
  optionalInteger,
  optionalString,
  optionalStringList,
  optionalStringMap,
  requiredString,
  requiredStringList,
  requiredStringMap,
} from "../input.js";
import { type SqsOperation, targetQueue, unlessEmpty, urlOf } from "./call.js";

/** Queue lifecycle, attributes, listing and tags. */
export const queueOperations: Record<string, SqsOperation> = {
  async CreateQueue(call) {
    const name = requiredString(call.input, "QueueName");
    // The model spells this member in lower case, unlike TagQueue's `Tags`.
    await call.queues.createQueue(
      name,
      optionalStringMap(call.input, "Attributes"),
      optionalStringMap(call.input, "tags"),
    );
    return { QueueUrl: urlOf(call, name) };
  },

  async GetQueueUrl(call) {
    const name = requiredString(call.input, "QueueName");
    const owner = optionalString(call.input, "QueueOwnerAWSAccountId");
    if (owner !== undefined && owner !== call.queues.accountId) throw queueDoesNotExist();
    await call.queues.getQueue(name);
    return { QueueUrl: urlOf(call, name) };
  },

  async GetQueueAttributes(call) {
    const name = targetQueue(call);
    const names = optionalStringList(call.input, "AttributeNames") ?? [];
    return { Attributes: unlessEmpty(await call.queues.getQueueAttributes(name, names)) };
  },

  async SetQueueAttributes(call) {
    const name = targetQueue(call);
    await call.queues.setQueueAttributes(name, requiredStringMap(call.input, "Attributes"));
    return {};
  },

  async DeleteQueue(call) {
    await call.queues.deleteQueue(targetQueue(call));
    return {};
  },

  async ListQueues(call) {
    const { names, nextToken } = await call.queues.listQueues({
      prefix: optionalString(call.input, "QueueNamePrefix"),
      maxResults: optionalInteger(call.input, "MaxResults"),
      nextToken: optionalString(call.input, "NextToken"),
    });
    return { QueueUrls: unlessEmpty(names.map((name) => urlOf(call, name))), NextToken: nextToken };
  },

  async PurgeQueue(call) {
    await call.queues.purgeQueue(targetQueue(call));
    return {};
  },

  async ListDeadLetterSourceQueues(call) {
    const name = targetQueue(call);
    const { names, nextToken } = await call.queues.listDeadLetterSourceQueues(name, {
      maxResults: optionalInteger(call.input, "MaxResults"),
      nextToken: optionalString(call.input, "NextToken"),
    });
    // `queueUrls` is required (and lower case) in the model, so it is sent even when empty.
    return { queueUrls: names.map((source) => urlOf(call, source)), NextToken: nextToken };
  },

  async TagQueue(call) {
    const name = targetQueue(call);
    await call.queues.tagQueue(name, requiredStringMap(call.input, "Tags"));
    return {};
  },

  async UntagQueue(call) {
    const name = targetQueue(call);
    await call.queues.untagQueue(name, requiredStringList(call.input, "TagKeys"));
    return {};
  },

  async ListQueueTags(call) {
    return { Tags: unlessEmpty(await call.queues.listQueueTags(targetQueue(call))) };
  },
};
