import { unsupportedOperation } from "../../../queues/errors.js";
import { requiredString, requiredStringList } from "../input.js";
import { type SqsCall, type SqsOperation, targetQueue } from "./call.js";

/**
 * AddPermission and RemovePermission edit a queue's access policy, and Inflow has no IAM: every
 * caller may use every queue. Accepting them would claim a restriction that is never enforced,
 * so after the usual checks they answer UnsupportedOperation.
 */
export const permissionOperations: Record<string, SqsOperation> = {
  async AddPermission(call) {
    await existingQueue(call);
    requiredString(call.input, "Label");
    requiredStringList(call.input, "AWSAccountIds");
    requiredStringList(call.input, "Actions");
    throw unsupportedOperation(
      "Queue permissions are not supported: Inflow has no access control per queue.",
    );
  },

  async RemovePermission(call) {
    await existingQueue(call);
    requiredString(call.input, "Label");
    throw unsupportedOperation(
      "Queue permissions are not supported: Inflow has no access control per queue.",
    );
  },
};

async function existingQueue(call: SqsCall): Promise<void> {
  await call.queues.getQueue(targetQueue(call));
}
