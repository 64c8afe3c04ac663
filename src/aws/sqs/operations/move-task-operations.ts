import type { MoveTask } from "../../../queues/types.js";
import { optionalInteger, optionalString, requiredString } from "../input.js";
import type { SqsOperation } from "./call.js";

/** Message move tasks: redriving a dead-letter queue back to its sources (or elsewhere). */
export const moveTaskOperations: Record<string, SqsOperation> = {
  async StartMessageMoveTask(call) {
    const { taskHandle } = await call.queues.startMessageMoveTask({
      sourceArn: requiredString(call.input, "SourceArn"),
      destinationArn: optionalString(call.input, "DestinationArn"),
      maxNumberOfMessagesPerSecond: optionalInteger(call.input, "MaxNumberOfMessagesPerSecond"),
    });
    return { TaskHandle: taskHandle };
  },

  async ListMessageMoveTasks(call) {
    const tasks = await call.queues.listMessageMoveTasks(
      requiredString(call.input, "SourceArn"),
      optionalInteger(call.input, "MaxResults"),
    );
    return { Results: tasks.map(taskOutput) };
  },

  async CancelMessageMoveTask(call) {
    const { approximateNumberOfMessagesMoved } = await call.queues.cancelMessageMoveTask(
      requiredString(call.input, "TaskHandle"),
    );
    return { ApproximateNumberOfMessagesMoved: approximateNumberOfMessagesMoved };
  },
};

function taskOutput(task: MoveTask) {
  return {
    TaskHandle: task.taskHandle,
    Status: task.status,
    SourceArn: task.sourceArn,
    DestinationArn: task.destinationArn,
    MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond,
    ApproximateNumberOfMessagesMoved: task.approximateNumberOfMessagesMoved,
    ApproximateNumberOfMessagesToMove: task.approximateNumberOfMessagesToMove,
    FailureReason: task.failureReason,
    StartedTimestamp: task.startedTimestamp,
  };
}
