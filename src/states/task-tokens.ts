import type { Queues } from "../queues/types.js";
import type { Store } from "../store/types.js";
import { infoOf, lockExecution } from "./execution-rows.js";
import { finishStepInRequest, openStep } from "./inline.js";
import { describeResource, parseResource } from "./resources.js";
import { ServiceError } from "./service-errors.js";
import { answerTask, loadToken, setTokenStatus, touchToken } from "./tasks.js";

const MAX_OUTPUT_BYTES = 262_144;

const invalidToken = () =>
  new ServiceError("InvalidToken", "Invalid Token: 'Provided task token is invalid.'");
const taskDoesNotExist = () =>
  new ServiceError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist anymore'");
const taskTimedOut = () => new ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task has timed out'");

/** SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: answers to `.waitForTaskToken` tasks. */
export function createTaskTokens(
  store: Store,
  queues: Queues,
  options: { now: () => number; region: string },
) {
  /**
   * Checks the token and, if the task still waits, resumes its run with the answer, in one
   * transaction: the states after the task that finish at once commit with the answer. Locks are
   * taken as every writer takes them, the execution's first, then the token's and the run's.
   */
  const answer = (
    token: string,
    reply: { result: unknown } | { error: { error: string; cause: string } },
  ): Promise<void> =>
    store.transaction(async (tx) => {
      if (typeof token !== "string" || token.length < 1 || token.length > 2048) throw invalidToken();
      const [owner] = await tx.query<{ execution_id: number }>(
        "SELECT execution_id FROM task_tokens WHERE token = $1",
        [token],
      );
      if (!owner) throw invalidToken();
      const execution = await lockExecution(tx, owner.execution_id);
      const row = await loadToken(tx, token);
      if (!row) throw invalidToken();
      if (row.status === "TIMED_OUT") throw taskTimedOut();
      if (row.status !== "PENDING") throw taskDoesNotExist();
      if (execution?.status !== "RUNNING") throw taskDoesNotExist();
      const step = openStep(tx, queues.within(tx), {
        now: options.now(),
        region: options.region,
        execution: infoOf(execution),
      });
      const described = describeResource(parseResource(row.resource));
      const resumed = await answerTask(
        step,
        row.run_id,
        row.run_version,
        reply,
        "result" in reply
          ? { type: "TaskSucceeded", details: { ...described, output: JSON.stringify(reply.result) } }
          : { type: "TaskFailed", details: { ...described, ...reply.error } },
      );
      if (!resumed) throw taskDoesNotExist();
      await setTokenStatus(tx, token, "result" in reply ? "SUCCEEDED" : "FAILED");
      // Saved just now and untouched since: the inline step need not read it again.
      const woken = step.ready.runs.find((entry) => entry.run === resumed.id);
      if (woken) woken.loaded = resumed;
      await finishStepInRequest(step);
    });

  return {
    async sendSuccess(token: string, output: string): Promise<void> {
      if (typeof output !== "string" || Buffer.byteLength(output, "utf8") > MAX_OUTPUT_BYTES) {
        throw new ServiceError(
          "InvalidOutput",
          "Invalid Output: 'Output exceeds the maximum size of 262144 bytes.'",
        );
      }
      let result: unknown;
      try {
        result = JSON.parse(output);
      } catch (error) {
        throw new ServiceError("InvalidOutput", `Invalid Output: '${(error as Error).message}'`);
      }
      await answer(token, { result });
    },

    sendFailure(token: string, error?: string, cause?: string): Promise<void> {
      return answer(token, { error: { error: error ?? "", cause: cause ?? "" } });
    },

    /** Resets the heartbeat clock; writes no history event, as AWS doesn't. */
    async sendHeartbeat(token: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (typeof token !== "string" || token.length < 1 || token.length > 2048) throw invalidToken();
        const row = await loadToken(tx, token);
        if (!row) throw invalidToken();
        if (row.status === "TIMED_OUT") throw taskTimedOut();
        if (row.status !== "PENDING") throw taskDoesNotExist();
        await touchToken(tx, token, options.now());
      });
    },
  };
}
