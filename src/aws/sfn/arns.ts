import { ServiceError } from "../../states/service-errors.js";

/**
 * The ARN checks Step Functions makes before it looks anything up, with its wording:
 * `Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'` for what is not an ARN, and
 * `Invalid Arn: 'Resource type not valid in this context: express'` for an ARN of another kind
 * (a StartSyncExecution result passed to DescribeExecution). Whether the resource exists is the
 * engine's question.
 */

export type ResourceType = "stateMachine" | "execution" | "activity" | "mapRun";

const invalidArn = (reason: string) => new ServiceError("InvalidArn", `Invalid Arn: '${reason}'`);

/** `arn`, checked to be a Step Functions ARN of `type` (or of one of `type`). */
export function checkArn(arn: string, type: ResourceType | readonly ResourceType[]): string {
  if (!arn.startsWith("arn:")) throw invalidArn(`Invalid ARN prefix: ${arn}`);
  // arn:partition:states:region:account:type:name[:...]
  const parts = arn.split(":");
  if (parts.length < 7 || parts[2] !== "states") throw invalidArn(`Invalid ARN format: ${arn}`);
  const actual = parts[5]!;
  const allowed: readonly string[] = typeof type === "string" ? [type] : type;
  if (!allowed.includes(actual)) throw invalidArn(`Resource type not valid in this context: ${actual}`);
  return arn;
}
