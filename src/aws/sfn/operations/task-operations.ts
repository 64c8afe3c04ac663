import { decode, requiredString, string } from "../input.js";
import type { SfnOperation } from "./call.js";

const taskToken = () => requiredString({ min: 1, max: 2048 });

/** Answers to `.waitForTaskToken` tasks, from the workers that did the work. */
export const taskOperations: Record<string, SfnOperation> = {
  async SendTaskSuccess({ states, input }) {
    const request = decode(input, {
      taskToken: taskToken(),
      output: requiredString({ max: 262_144, sensitive: true }),
    });
    await states.tasks.sendSuccess(request.taskToken, request.output);
    return {};
  },

  async SendTaskFailure({ states, input }) {
    const request = decode(input, {
      taskToken: taskToken(),
      error: string({ max: 256, sensitive: true }),
      cause: string({ max: 32_768, sensitive: true }),
    });
    await states.tasks.sendFailure(request.taskToken, request.error, request.cause);
    return {};
  },

  async SendTaskHeartbeat({ states, input }) {
    const request = decode(input, { taskToken: taskToken() });
    await states.tasks.sendHeartbeat(request.taskToken);
    return {};
  },
};
