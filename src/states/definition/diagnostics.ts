/**
 * What ValidateStateMachineDefinition reports, and the InvalidDefinition error CreateStateMachine
 * raises from the same findings. Codes and wording follow AWS where it is known (recorded responses
 * and messages AWS users quote); `location` is a path into the definition such as
 * `/States/MyMap/ItemProcessor/States/Inner` or `/States/Task/Catch[0]`.
 */
export interface Diagnostic {
  severity: "ERROR" | "WARNING";
  code: string;
  message: string;
  location?: string;
}

export const DIAGNOSTIC_CODES = Object.freeze({
  schemaValidationFailed: "SCHEMA_VALIDATION_FAILED",
  invalidJsonDescription: "INVALID_JSON_DESCRIPTION",
  missingTransitionTarget: "MISSING_TRANSITION_TARGET",
  duplicateStateName: "DUPLICATE_STATE_NAME",
  invalidStateName: "INVALID_STATE_NAME",
} as const);

export const errorAt = (code: string, message: string, location?: string): Diagnostic =>
  location === undefined
    ? { severity: "ERROR", code, message }
    : { severity: "ERROR", code, message, location };

/** The common case: a schema violation at a place in the definition. */
export const schemaError = (message: string, location: string): Diagnostic =>
  errorAt(DIAGNOSTIC_CODES.schemaValidationFailed, message, location === "" ? "/" : location);

/** `CODE: message at /location`, as AWS writes each finding inside InvalidDefinition. */
const describe = (diagnostic: Diagnostic): string =>
  // A JSON syntax error's location is parser text that its message already ends with.
  diagnostic.location?.startsWith("/")
    ? `${diagnostic.code}: ${diagnostic.message} at ${diagnostic.location}`
    : `${diagnostic.code}: ${diagnostic.message}`;

/**
 * The InvalidDefinition error for a definition's ERROR diagnostics, e.g.
 * `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'`.
 * Several findings are joined with ", " inside the quotes.
 */
export const definitionError = (
  diagnostics: readonly Diagnostic[],
): { name: "InvalidDefinition"; message: string } => {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "ERROR").map(describe);
  return { name: "InvalidDefinition", message: `Invalid State Machine Definition: '${errors.join(", ")}'` };
};
