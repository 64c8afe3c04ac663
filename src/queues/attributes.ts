import {
  invalidAttributeName,
  invalidAttributeValue,
  invalidParameter,
  invalidParameterValue,
} from "./errors.js";

/** Queue attributes a caller may set, with SQS's defaults and bounds. */
const NUMERIC = {
  DelaySeconds: { min: 0, max: 900, default: 0 },
  MaximumMessageSize: { min: 1024, max: 1_048_576, default: 1_048_576 },
  MessageRetentionPeriod: { min: 60, max: 1_209_600, default: 345_600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20, default: 0 },
  VisibilityTimeout: { min: 0, max: 43_200, default: 30 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86_400, default: 300 },
} as const;

type NumericAttribute = keyof typeof NUMERIC;

const TEXT = [
  "Policy",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
  "SqsManagedSseEnabled",
] as const;
const FIFO_ONLY = [
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
] as const;

/** Attributes SQS computes; asking for them is fine, setting them is an InvalidAttributeName. */
export const COMPUTED_ATTRIBUTES = Object.freeze([
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
] as const);

const SETTABLE = new Set<string>([...Object.keys(NUMERIC), ...TEXT, ...FIFO_ONLY]);
const KNOWN = new Set<string>([...SETTABLE, ...COMPUTED_ATTRIBUTES, "All"]);

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** The effective configuration of a queue, parsed once from its stored attributes. */
export interface QueueConfig {
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionPeriod: number;
  receiveMessageWaitTimeSeconds: number;
  visibilityTimeout: number;
  redrivePolicy?: RedrivePolicy;
  contentBasedDeduplication: boolean;
}

export function isKnownAttributeName(name: string): boolean {
  return KNOWN.has(name);
}

/** The stored attributes of a new queue: SQS's defaults overlaid with what the caller gave. */
export function initialAttributes(fifo: boolean, given: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, bounds] of Object.entries(NUMERIC)) {
    // SQS reports the data key reuse period only once a KMS key is configured.
    if (name !== "KmsDataKeyReusePeriodSeconds") attributes[name] = String(bounds.default);
  }
  attributes.SqsManagedSseEnabled = "true";
  if (fifo) {
    attributes.FifoQueue = "true";
    attributes.ContentBasedDeduplication = "false";
    attributes.DeduplicationScope = "queue";
    attributes.FifoThroughputLimit = "perQueue";
  }
  return { ...attributes, ...normalize(given) };
}

/**
 * Checks attributes given to CreateQueue or SetQueueAttributes, throwing SQS's error for the
 * first bad one. `creating` allows FifoQueue, which cannot change after creation.
 */
export function validateAttributes(
  attributes: Record<string, string>,
  context: { fifo: boolean; creating: boolean },
): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (!SETTABLE.has(name)) throw invalidAttributeName(name);
    if (typeof value !== "string") throw invalidAttributeValue(name);
    if (name in NUMERIC) {
      const bounds = NUMERIC[name as NumericAttribute];
      const number = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
      if (!(number >= bounds.min && number <= bounds.max)) throw invalidAttributeValue(name);
      continue;
    }
    switch (name) {
      case "FifoQueue":
        if (!context.creating) throw invalidAttributeName(name);
        if (value !== "true" && !(value === "false" && !context.fifo)) throw invalidAttributeValue(name);
        break;
      case "ContentBasedDeduplication":
      case "DeduplicationScope":
      case "FifoThroughputLimit":
        if (!context.fifo) throw invalidAttributeName(name);
        if (name === "ContentBasedDeduplication" && value !== "true" && value !== "false") {
          throw invalidAttributeValue(name);
        }
        if (name === "DeduplicationScope" && value !== "messageGroup" && value !== "queue") {
          throw invalidAttributeValue(name);
        }
        if (name === "FifoThroughputLimit" && value !== "perQueue" && value !== "perMessageGroupId") {
          throw invalidAttributeValue(name);
        }
        break;
      case "SqsManagedSseEnabled":
        if (value !== "true" && value !== "false") throw invalidAttributeValue(name);
        break;
      case "RedrivePolicy":
        if (value !== "") parseRedrivePolicy(value);
        break;
      case "RedriveAllowPolicy":
        if (value !== "") validateRedriveAllowPolicy(value);
        break;
      case "Policy":
        if (value !== "") parseJsonObject(name, value);
        break;
    }
  }
  if (attributes.DeduplicationScope === "messageGroup" && attributes.FifoThroughputLimit === "perQueue") {
    throw invalidParameterValue(
      "The queue attribute FifoThroughputLimit can be set to perQueue only when DeduplicationScope is set to queue.",
    );
  }
}

/** Parses a RedrivePolicy string the way SetQueueAttributes validates it. */
export function parseRedrivePolicy(value: string): RedrivePolicy {
  const policy = parseJsonObject("RedrivePolicy", value);
  const target = policy.deadLetterTargetArn;
  if (target === undefined || target === "") {
    throw invalidParameter(
      "RedrivePolicy",
      value,
      "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
    );
  }
  const rawCount = policy.maxReceiveCount;
  if (rawCount === undefined) {
    throw invalidParameter(
      "RedrivePolicy",
      value,
      "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
    );
  }
  const count =
    typeof rawCount === "number" ? rawCount : /^\d+$/.test(String(rawCount)) ? Number(rawCount) : Number.NaN;
  if (!(Number.isInteger(count) && count >= 1 && count <= 1000)) {
    throw invalidParameter(
      "RedrivePolicy",
      value,
      `Invalid value for maxReceiveCount: ${String(rawCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  if (typeof target !== "string" || !/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}(\.fifo)?$/.test(target)) {
    throw invalidParameter("RedrivePolicy", value, `Invalid value for deadLetterTargetArn.`);
  }
  return { deadLetterTargetArn: target, maxReceiveCount: count };
}

function validateRedriveAllowPolicy(value: string): void {
  const policy = parseJsonObject("RedriveAllowPolicy", value);
  const permission = policy.redrivePermission;
  if (permission !== "allowAll" && permission !== "denyAll" && permission !== "byQueue") {
    throw invalidParameter(
      "RedriveAllowPolicy",
      value,
      "Invalid value for redrivePermission: it must be allowAll, denyAll or byQueue.",
    );
  }
  const sources = policy.sourceQueueArns;
  if (permission === "byQueue") {
    if (!Array.isArray(sources) || sources.length < 1 || sources.length > 10) {
      throw invalidParameter(
        "RedriveAllowPolicy",
        value,
        "sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.",
      );
    }
  } else if (sources !== undefined) {
    throw invalidParameter(
      "RedriveAllowPolicy",
      value,
      "sourceQueueArns may only be given when redrivePermission is byQueue.",
    );
  }
}

/** Whether a RedriveAllowPolicy lets `sourceArn` use the queue as its dead-letter queue. */
export function redriveAllowed(allowPolicy: string | undefined, sourceArn: string): boolean {
  if (!allowPolicy) return true;
  const policy = JSON.parse(allowPolicy) as { redrivePermission: string; sourceQueueArns?: string[] };
  if (policy.redrivePermission === "denyAll") return false;
  if (policy.redrivePermission === "byQueue") return policy.sourceQueueArns?.includes(sourceArn) ?? false;
  return true;
}

function parseJsonObject(name: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidParameter(name, value, "Invalid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw invalidParameter(name, value, "Invalid JSON object.");
  }
  return parsed as Record<string, unknown>;
}

/** Numbers are stored as SQS reports them ("030" -> "30"); an empty RedrivePolicy or Policy removes it. */
function normalize(attributes: Record<string, string>): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    normalized[name] = name in NUMERIC ? String(Number(value)) : value;
  }
  return normalized;
}

/** Applies SetQueueAttributes to stored attributes, returning the new set. */
export function mergeAttributes(
  stored: Record<string, string>,
  changes: Record<string, string>,
): Record<string, string> {
  const merged = { ...stored, ...normalize(changes) };
  for (const name of ["RedrivePolicy", "Policy", "RedriveAllowPolicy"]) {
    if (merged[name] === "") delete merged[name];
  }
  return merged;
}

/** The first attribute whose given value differs from the stored one (CreateQueue on an existing name). */
export function firstDifference(
  stored: Record<string, string>,
  given: Record<string, string>,
  fifo: boolean,
): string | undefined {
  const expected = initialAttributes(fifo, {});
  for (const [name, value] of Object.entries(normalize(given))) {
    const current = stored[name] ?? expected[name];
    if (current !== value) return name;
  }
  return undefined;
}

export function configOf(attributes: Record<string, string>): QueueConfig {
  const number = (name: NumericAttribute) => Number(attributes[name] ?? NUMERIC[name].default);
  const redrive = attributes.RedrivePolicy;
  return {
    delaySeconds: number("DelaySeconds"),
    maximumMessageSize: number("MaximumMessageSize"),
    messageRetentionPeriod: number("MessageRetentionPeriod"),
    receiveMessageWaitTimeSeconds: number("ReceiveMessageWaitTimeSeconds"),
    visibilityTimeout: number("VisibilityTimeout"),
    ...(redrive ? { redrivePolicy: parseRedrivePolicy(redrive) } : {}),
    contentBasedDeduplication: attributes.ContentBasedDeduplication === "true",
  };
}
