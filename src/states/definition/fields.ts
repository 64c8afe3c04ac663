/**
 * Which fields each part of a definition may have. A field outside these lists is AWS's
 * "Field 'X' is not supported"; a field of the other query language is AWS's "The QueryLanguage is
 * set to 'JSONata', but field 'X' is only supported for the 'JSONPath' QueryLanguage".
 */

export type QueryLanguage = "JSONPath" | "JSONata";
export const QUERY_LANGUAGES: readonly QueryLanguage[] = ["JSONPath", "JSONata"];

export const STATE_TYPES = ["Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map"] as const;
export type StateType = (typeof STATE_TYPES)[number];

export const TOP_LEVEL_FIELDS = new Set([
  "Comment",
  "StartAt",
  "States",
  "Version",
  "TimeoutSeconds",
  "QueryLanguage",
]);
export const BRANCH_FIELDS = new Set(["Comment", "StartAt", "States"]);
export const PROCESSOR_FIELDS = new Set(["Comment", "StartAt", "States", "ProcessorConfig"]);

const COMMON = ["Type", "Comment", "QueryLanguage"];
const TRANSITION = ["Next", "End"];
const ERROR_HANDLING = ["Retry", "Catch"];

export const STATE_FIELDS: Readonly<Record<StateType, ReadonlySet<string>>> = {
  Pass: new Set([
    ...COMMON,
    ...TRANSITION,
    "InputPath",
    "OutputPath",
    "Result",
    "ResultPath",
    "Parameters",
    "Output",
    "Assign",
  ]),
  Task: new Set([
    ...COMMON,
    ...TRANSITION,
    ...ERROR_HANDLING,
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Arguments",
    "Output",
    "Assign",
    "Resource",
    "Credentials",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
  ]),
  Wait: new Set([
    ...COMMON,
    ...TRANSITION,
    "InputPath",
    "OutputPath",
    "Output",
    "Assign",
    "Seconds",
    "Timestamp",
    "SecondsPath",
    "TimestampPath",
  ]),
  Parallel: new Set([
    ...COMMON,
    ...TRANSITION,
    ...ERROR_HANDLING,
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Arguments",
    "Output",
    "Assign",
    "Branches",
  ]),
  Map: new Set([
    ...COMMON,
    ...TRANSITION,
    ...ERROR_HANDLING,
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Output",
    "Assign",
    "ItemProcessor",
    "Iterator",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
  ]),
  Choice: new Set([...COMMON, "InputPath", "OutputPath", "Output", "Assign", "Choices", "Default"]),
  Succeed: new Set([...COMMON, "InputPath", "OutputPath", "Output"]),
  Fail: new Set([...COMMON, "Error", "Cause", "ErrorPath", "CausePath"]),
};

/** Fields that exist only in JSONPath states. */
export const JSONPATH_ONLY_FIELDS = new Set([
  "InputPath",
  "OutputPath",
  "ResultPath",
  "Parameters",
  "ResultSelector",
  "Result",
  "ItemsPath",
  "TimeoutSecondsPath",
  "HeartbeatSecondsPath",
  "SecondsPath",
  "TimestampPath",
  "MaxConcurrencyPath",
  "ToleratedFailurePercentagePath",
  "ToleratedFailureCountPath",
  "ErrorPath",
  "CausePath",
]);

/** Fields that exist only in JSONata states. */
export const JSONATA_ONLY_FIELDS = new Set(["Arguments", "Output", "Items"]);

/** The states that move on with exactly one of Next or End. */
export const TRANSITIONING_TYPES: ReadonlySet<StateType> = new Set([
  "Task",
  "Pass",
  "Wait",
  "Parallel",
  "Map",
]);

export const RETRIER_FIELDS = new Set([
  "ErrorEquals",
  "IntervalSeconds",
  "MaxAttempts",
  "BackoffRate",
  "MaxDelaySeconds",
  "JitterStrategy",
  "Comment",
]);
export const CATCHER_FIELDS = new Set(["ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"]);

export const WAIT_DURATION_FIELDS = ["SecondsPath", "Seconds", "TimestampPath", "Timestamp"] as const;

export const CHOICE_COMPARISONS = new Set([
  ...["String", "Numeric", "Timestamp"].flatMap((kind) =>
    ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"].flatMap((op) => [
      `${kind}${op}`,
      `${kind}${op}Path`,
    ]),
  ),
  "StringMatches",
  "BooleanEquals",
  "BooleanEqualsPath",
  "IsNull",
  "IsPresent",
  "IsNumeric",
  "IsString",
  "IsBoolean",
  "IsTimestamp",
]);
