import type { PipelineApi } from "./api-client.js";
import { answerTasks, type TaskAnswers } from "./task-answers.js";

/** Queue `process-file`: the container goes to Processing; the task's output is `{state}`. */
export const setFileAsProcessing = (deps: { api: PipelineApi; answers: TaskAnswers }) =>
  answerTasks(deps.answers, (message, context) =>
    deps.api.setProcessing(message.containerId, context.signal),
  );
