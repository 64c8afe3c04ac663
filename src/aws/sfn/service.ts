import type { States } from "../../states/engine.js";
import { type AwsJsonService, parseJsonObject } from "../json-protocol.js";
import type { SfnOperation } from "./operations/call.js";
import { executionOperations } from "./operations/execution-operations.js";
import { stateMachineOperations } from "./operations/state-machine-operations.js";
import { tagOperations } from "./operations/tag-operations.js";
import { taskOperations } from "./operations/task-operations.js";
import {
  encodeError,
  encodeFailure,
  encodeSuccess,
  serializationException,
  unknownOperation,
} from "./protocol.js";

const OPERATIONS: ReadonlyMap<string, SfnOperation> = new Map(
  Object.entries({ ...stateMachineOperations, ...executionOperations, ...taskOperations, ...tagOperations }),
);

export const SFN_TARGET_PREFIX = "AWSStepFunctions";

export interface SfnServiceOptions {
  states: States;
  /** Told about errors that are bugs (they answer 500 InternalServerError). */
  onInternalError?: (error: unknown) => void;
}

/** The Step Functions API (`X-Amz-Target: AWSStepFunctions.<Operation>`) over the workflow engine. */
export function createSfnService({
  states,
  onInternalError = () => undefined,
}: SfnServiceOptions): AwsJsonService {
  return {
    targetPrefix: SFN_TARGET_PREFIX,
    async handle(operationName, body) {
      try {
        const operation = OPERATIONS.get(operationName);
        if (!operation) throw unknownOperation(operationName);
        const input = parseJsonObject(body);
        if (!input) throw serializationException("The request body is not a JSON object.");
        return encodeSuccess(await operation({ states, input }));
      } catch (error) {
        return encodeError(error, onInternalError);
      }
    },
    reject({ status, name, message }) {
      return encodeFailure(status, name, message);
    },
  };
}
