/** Definition checks: parse, validate, and AWS's InvalidDefinition message. */
export { DIAGNOSTIC_CODES, type Diagnostic, definitionError } from "./diagnostics.js";
export { type ParsedDefinition, parseDefinition } from "./parse.js";
export { type ValidateOptions, validateDefinition } from "./validate.js";
