import type { PipelineApi } from "./api-client.js";
import { invalidMessage } from "./errors.js";
import { answerTasks, type TaskAnswers } from "./task-answers.js";

/**
 * Queue `post-invoice-creation`: the checks on a created invoice (supplier match, totals,
 * duplicates); the task's output is `{supplier, totals, duplicateOf?}`.
 */
export const postInvoiceCreation = (deps: { api: PipelineApi; answers: TaskAnswers }) =>
  answerTasks(deps.answers, (message, context) => {
    const { invoiceId } = message;
    if (typeof invoiceId !== "string" || invoiceId === "") {
      throw invalidMessage(`The message has no invoiceId: ${JSON.stringify(invoiceId)}`);
    }
    return deps.api.checkInvoice(invoiceId, context.signal);
  });
