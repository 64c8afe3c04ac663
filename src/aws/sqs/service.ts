import { QueueError } from "../../queues/errors.js";
import type { Queues } from "../../queues/types.js";
import { type AwsJsonService, parseJsonObject } from "../json-protocol.js";
import type { SqsOperation } from "./operations/call.js";
import { messageOperations } from "./operations/message-operations.js";
import { moveTaskOperations } from "./operations/move-task-operations.js";
import { permissionOperations } from "./operations/permission-operations.js";
import { queueOperations } from "./operations/queue-operations.js";
import { encodeError, encodeSuccess, serializationException, unknownOperation } from "./protocol.js";

const OPERATIONS: ReadonlyMap<string, SqsOperation> = new Map(
  Object.entries({
    ...queueOperations,
    ...messageOperations,
    ...moveTaskOperations,
    ...permissionOperations,
  }),
);

export const SQS_TARGET_PREFIX = "AmazonSQS";

export interface SqsServiceOptions {
  queues: Queues;
  /** Told about errors that are bugs (they answer 500 InternalFailure). */
  onInternalError?: (error: unknown) => void;
}

/** The SQS API (`X-Amz-Target: AmazonSQS.<Operation>`) over the queues. */
export function createSqsService({
  queues,
  onInternalError = () => undefined,
}: SqsServiceOptions): AwsJsonService {
  return {
    targetPrefix: SQS_TARGET_PREFIX,
    async handle(operationName, body, { baseUrl, signal }) {
      try {
        const operation = OPERATIONS.get(operationName);
        if (!operation) throw unknownOperation(operationName);
        const input = parseJsonObject(body);
        if (!input) throw serializationException("The request body is not a JSON object.");
        return encodeSuccess(await operation({ queues, input, baseUrl, signal }));
      } catch (error) {
        return encodeError(error, onInternalError);
      }
    },
    reject({ status, name, message }) {
      return encodeError(new QueueError(name, message, { status }), onInternalError);
    },
  };
}
