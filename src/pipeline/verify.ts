import type { PipelineApi } from "./api-client.js";
import { PipelineError } from "./errors.js";
import { answerTasks, type TaskAnswers } from "./task-answers.js";

/**
 * Queue `verify`: the container becomes Done when every parsed invoice was created, Error otherwise.
 * Done answers the task with the service's `{state, parsed, created}`; Error fails it with
 * `Pipeline.VerificationFailed` and the service's reason, so the execution fails as the container
 * did and its graph shows where.
 */
export const verify = (deps: { api: PipelineApi; answers: TaskAnswers }) =>
  answerTasks(deps.answers, async (message, context) => {
    const verdict = await deps.api.verify(message.containerId, context.signal);
    if (verdict.state === "Error") {
      throw new PipelineError(
        "Pipeline.VerificationFailed",
        verdict.error ?? `created ${verdict.created} of ${verdict.parsed} invoices`,
      );
    }
    return verdict;
  });
