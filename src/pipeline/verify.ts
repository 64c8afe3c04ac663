import type { PipelineApi } from "./api-client.js";
import { answerTasks, type TaskAnswers } from "./task-answers.js";

/**
 * Queue `verify`: the container becomes Done when every parsed invoice was created, Error otherwise;
 * the task's output is the service's `{state, parsed, created, error?}`. The container's state is
 * the verdict, so the task succeeds either way.
 */
export const verify = (deps: { api: PipelineApi; answers: TaskAnswers }) =>
  answerTasks(deps.answers, (message, context) => deps.api.verify(message.containerId, context.signal));
