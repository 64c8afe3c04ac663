import type { PipelineApi } from "./api-client.js";
import { invalidMessage } from "./errors.js";
import { answerTasks, type TaskAnswers } from "./task-answers.js";

/**
 * Queue `create-invoice`: creates the invoice of one parsed key; the task's output is
 * `{invoiceId, created}`. Creation is idempotent on (container, key), so a message received again
 * finds the invoice its first delivery created.
 */
export const createInvoice = (deps: { api: PipelineApi; answers: TaskAnswers }) =>
  answerTasks(deps.answers, (message, context) => {
    const { key } = message;
    if (typeof key !== "number" || !Number.isInteger(key) || key < 1) {
      throw invalidMessage(`The message's key is not a positive whole number: ${JSON.stringify(key)}`);
    }
    return deps.api.createInvoice(message.containerId, key, context.signal);
  });
