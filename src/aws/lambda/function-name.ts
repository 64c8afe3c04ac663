import { invalidParameterValue, type LambdaError, validationError } from "./errors.js";

/** Lambda's pattern for Invoke's FunctionName: a name, partial ARN or ARN, with an optional qualifier. */
const FUNCTION_NAME =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;
export const MAX_FUNCTION_NAME_LENGTH = 170;
export const MAX_QUALIFIER_LENGTH = 128;

/**
 * The reference the registry resolves, `NAME` or `NAME:QUALIFIER`, from the path's FunctionName
 * and the `Qualifier` query parameter; a qualifier may come from either, but they must agree.
 */
export function functionReference(functionName: string, qualifier?: string): string | LambdaError {
  const match = FUNCTION_NAME.exec(functionName);
  if (!match) {
    return validationError(
      `Value '${functionName}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME.source.slice(1, -1)}`,
    );
  }
  const name = match[7] ?? "";
  const derived = match[9];
  if (derived !== undefined && qualifier !== undefined && derived !== qualifier) {
    return invalidParameterValue(
      "The derived qualifier from the function name does not match the specified qualifier.",
    );
  }
  const effective = derived ?? qualifier;
  return effective === undefined ? name : `${name}:${effective}`;
}
