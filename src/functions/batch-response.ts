/**
 * What a function's answer to a batch means with `FunctionResponseTypes: ["ReportBatchItemFailures"]`,
 * by Lambda's rules (services-sqs-errorhandling):
 * - success for all: a null or empty answer (`null`, `{}`), or a null or empty `batchItemFailures`;
 * - failure for all: an answer that is not an object, a `batchItemFailures` that is not a list,
 *   or any entry whose `itemIdentifier` is missing (a wrong key name), null, empty, or not the
 *   messageId of a message in the batch;
 * - otherwise only the listed messages failed.
 */
export type BatchOutcome = { failed: "all" } | { failed: ReadonlySet<string> };

const NONE: BatchOutcome = { failed: new Set() };
const ALL: BatchOutcome = { failed: "all" };

export function batchOutcome(response: unknown, messageIds: ReadonlySet<string>): BatchOutcome {
  if (response === null || response === undefined) return NONE;
  if (typeof response !== "object" || Array.isArray(response)) return ALL;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return NONE;
  if (!Array.isArray(failures)) return ALL;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "" || !messageIds.has(id)) return ALL;
    failed.add(id);
  }
  return { failed };
}
