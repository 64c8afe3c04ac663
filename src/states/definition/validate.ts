import { isJsonataExpression } from "../jsonata.js";
import { checkAssign } from "./assign.js";
import { checkChoices, type TransitionSink } from "./choice.js";
import { DIAGNOSTIC_CODES, type Diagnostic, errorAt, schemaError } from "./diagnostics.js";
import { checkErrorHandling } from "./error-handling.js";
import {
  checkJsonataValue,
  checkPathField,
  checkPayloadTemplate,
  isRfc3339Timestamp,
} from "./expressions.js";
import {
  BRANCH_FIELDS,
  JSONATA_ONLY_FIELDS,
  JSONPATH_ONLY_FIELDS,
  PROCESSOR_FIELDS,
  QUERY_LANGUAGES,
  type QueryLanguage,
  STATE_FIELDS,
  STATE_TYPES,
  type StateType,
  TOP_LEVEL_FIELDS,
  TRANSITIONING_TYPES,
  WAIT_DURATION_FIELDS,
} from "./fields.js";
import { isPlainObject, parseDefinition } from "./parse.js";
import { taskResourcePattern } from "./resources.js";
import {
  checkAtMostOne,
  checkExactlyOne,
  checkFields,
  checkNumber,
  checkObject,
  checkOneOf,
  checkRequired,
  checkString,
  mustBe,
  NON_NEGATIVE_INTEGER,
  PERCENTAGE,
  POSITIVE_INTEGER,
} from "./values.js";

/**
 * The checks CreateStateMachine and ValidateStateMachineDefinition make on a definition: its shape
 * (required and allowed fields per state type and query language, value types), its transitions
 * (StartAt and every Next / Default / Catch target exist, every state is reachable, state names are
 * unique across the whole machine), nested machines (Parallel branches, Map processors, located as
 * `/States/MyMap/ItemProcessor/States/Inner`), Task resources Inflow runs and what Express machines
 * may not use, and the syntax of paths, intrinsic calls, JSONata expressions and timestamps.
 */

export interface ValidateOptions {
  type: "STANDARD" | "EXPRESS";
}

interface Walk {
  out: Diagnostic[];
  /** Express machines cannot wait for task tokens or for child executions. */
  type: "STANDARD" | "EXPRESS";
  /** A state without QueryLanguage uses the top-level one (AWS: not the enclosing state's). */
  topLanguage: QueryLanguage;
  /** State names are unique across the whole definition, nested machines included. */
  stateNames: Set<string>;
}

const MAX_STATE_NAME_LENGTH = 80;
const MAX_LABEL_LENGTH = 40;
const LANGUAGE_ONLY_FIELDS = { JSONPath: JSONPATH_ONLY_FIELDS, JSONata: JSONATA_ONLY_FIELDS };

/** Fields whose strings a JSONata state evaluates (Assign is checked with its names). */
const JSONATA_FIELDS = [
  "Arguments",
  "Output",
  "Items",
  "ItemSelector",
  "MaxConcurrency",
  "ToleratedFailurePercentage",
  "ToleratedFailureCount",
  "TimeoutSeconds",
  "HeartbeatSeconds",
  "Seconds",
  "Timestamp",
  "Error",
  "Cause",
  "Credentials",
  "ItemReader",
  "ItemBatcher",
  "ResultWriter",
];

/** Accepts JSON text or a parsed definition; an empty list means AWS would accept it. */
export const validateDefinition = (definition: unknown, options: ValidateOptions): Diagnostic[] => {
  const parsed = parseDefinition(definition);
  if (!parsed.ok) return parsed.diagnostics;
  const machine = parsed.definition;
  const out: Diagnostic[] = [];
  checkOneOf(machine, "QueryLanguage", QUERY_LANGUAGES, "", out);
  checkOneOf(machine, "Version", ["1.0"], "", out);
  checkNumber(machine, "TimeoutSeconds", POSITIVE_INTEGER, "JSONPath", "/", out);
  const topLanguage = machine.QueryLanguage === "JSONata" ? "JSONata" : "JSONPath";
  checkMachine(machine, "", TOP_LEVEL_FIELDS, {
    out,
    type: options.type,
    topLanguage,
    stateNames: new Set(),
  });
  return out;
};

const parentOf = (location: string) => location.slice(0, location.lastIndexOf("/")) || "/";
const leafOf = (location: string) => location.slice(location.lastIndexOf("/") + 1);

/** A state machine: the top level, a Parallel branch or a Map processor. */
const checkMachine = (
  machine: Record<string, unknown>,
  path: string,
  fields: ReadonlySet<string>,
  walk: Walk,
) => {
  const { out } = walk;
  const at = path === "" ? "/" : path;
  checkFields(machine, fields, at, out);
  if (!checkRequired(machine, ["States", "StartAt"], at, out)) return;
  const { StartAt: startAt, States: states } = machine;
  if (typeof startAt !== "string") {
    out.push(mustBe("StartAt", "a string", at));
    return;
  }
  if (!isPlainObject(states) || Object.keys(states).length === 0) {
    out.push(mustBe("States", "a non-empty JSON object", at));
    return;
  }

  const transitions: Array<{ source?: string; target: unknown; location: string }> = [
    { target: startAt, location: `${path}/StartAt` },
  ];
  for (const [name, state] of Object.entries(states)) {
    checkState(name, state, `${path}/States/${name}`, walk, (target, location) => {
      transitions.push({ source: name, target, location });
    });
  }

  const successors = new Map<string, string[]>();
  for (const { source, target, location } of transitions) {
    if (typeof target !== "string") {
      out.push(mustBe(leafOf(location), "a string", parentOf(location)));
    } else if (!Object.hasOwn(states, target)) {
      out.push(
        errorAt(
          DIAGNOSTIC_CODES.missingTransitionTarget,
          `Missing '${leafOf(location)}' target: ${target}`,
          location,
        ),
      );
    } else if (source !== undefined) {
      successors.set(source, [...(successors.get(source) ?? []), target]);
    }
  }
  if (!Object.hasOwn(states, startAt)) return;
  const reached = new Set([startAt]);
  const pending = [startAt];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    for (const next of successors.get(name) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        pending.push(next);
      }
    }
  }
  for (const name of Object.keys(states)) {
    if (!reached.has(name)) {
      out.push(
        errorAt(
          DIAGNOSTIC_CODES.missingTransitionTarget,
          `State "${name}" is not reachable.`,
          `${path}/States/${name}`,
        ),
      );
    }
  }
};

const checkState = (
  name: string,
  state: unknown,
  location: string,
  walk: Walk,
  transition: TransitionSink,
) => {
  const { out } = walk;
  if (walk.stateNames.has(name)) {
    out.push(errorAt(DIAGNOSTIC_CODES.duplicateStateName, `Duplicate State name: ${name}`, location));
  }
  walk.stateNames.add(name);
  if (name.length > MAX_STATE_NAME_LENGTH) {
    out.push(
      errorAt(
        DIAGNOSTIC_CODES.invalidStateName,
        `State name '${name}' exceeds the ${MAX_STATE_NAME_LENGTH}-character limit allowed by the service`,
        location,
      ),
    );
  }
  if (!isPlainObject(state)) {
    out.push(schemaError("A state must be a JSON object", location));
    return;
  }
  if (!checkRequired(state, ["Type"], location, out)) return;
  const type = state.Type as StateType;
  if (!STATE_TYPES.includes(type)) {
    out.push(
      schemaError(
        `The field 'Type' should have one of these values: [${STATE_TYPES.join(", ")}]`,
        `${location}/Type`,
      ),
    );
    return;
  }
  checkOneOf(state, "QueryLanguage", QUERY_LANGUAGES, location, out);
  if (walk.topLanguage === "JSONata" && state.QueryLanguage === "JSONPath") {
    out.push(
      schemaError(
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        location,
      ),
    );
  }
  const language =
    state.QueryLanguage === "JSONata" || state.QueryLanguage === "JSONPath"
      ? state.QueryLanguage
      : walk.topLanguage;
  checkFields(state, STATE_FIELDS[type], location, out, { current: language, only: LANGUAGE_ONLY_FIELDS });
  if (TRANSITIONING_TYPES.has(type)) checkNextOrEnd(state, location, out, transition);
  checkData(state, language, location, out);

  switch (type) {
    case "Task":
      checkTask(state, language, location, walk, transition);
      break;
    case "Wait":
      checkWait(state, language, location, out);
      break;
    case "Fail":
      checkAtMostOne(state, ["Error", "ErrorPath"], location, out);
      checkAtMostOne(state, ["Cause", "CausePath"], location, out);
      checkPathField(state, "ErrorPath", location, out, { intrinsic: true });
      checkPathField(state, "CausePath", location, out, { intrinsic: true });
      checkString(state, "Error", location, out);
      checkString(state, "Cause", location, out);
      break;
    case "Choice":
      if (checkRequired(state, ["Choices"], location, out))
        checkChoices(state, language, location, out, transition);
      if ("Default" in state) transition(state.Default, `${location}/Default`);
      break;
    case "Parallel":
      checkParallel(state, language, location, walk, transition);
      break;
    case "Map":
      checkMap(state, language, location, walk, transition);
      break;
    case "Pass":
    case "Succeed":
      break;
  }
};

const checkNextOrEnd = (
  state: Record<string, unknown>,
  location: string,
  out: Diagnostic[],
  transition: TransitionSink,
) => {
  if ("End" in state && typeof state.End !== "boolean") out.push(mustBe("End", "a boolean", location));
  const ends = state.End === true;
  const next = "Next" in state;
  if (next && ends)
    out.push(schemaError("There should only be one of the following fields: [Next, End]", location));
  if (!next && !ends)
    out.push(schemaError("This object should have only one of the following fields: [Next, End]", location));
  if (next) transition(state.Next, `${location}/Next`);
};

/** The fields that select and shape data: paths and templates in JSONPath, expressions in JSONata. */
const checkData = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
) => {
  if (language === "JSONPath") {
    for (const field of ["InputPath", "OutputPath", "ResultPath"]) {
      checkPathField(state, field, location, out, { nullable: true });
    }
    for (const field of ["Parameters", "ResultSelector", "ItemSelector"]) {
      if (field in state) checkPayloadTemplate(state[field], `${location}/${field}`, out);
    }
  } else {
    for (const field of JSONATA_FIELDS) {
      if (field in state) checkJsonataValue(state[field], `${location}/${field}`, out);
    }
  }
  if ("Assign" in state) checkAssign(state.Assign, language, location, out);
};

const checkTask = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  walk: Walk,
  transition: TransitionSink,
) => {
  const { out } = walk;
  if (checkRequired(state, ["Resource"], location, out))
    checkResource(state.Resource, `${location}/Resource`, walk);
  for (const field of ["TimeoutSeconds", "HeartbeatSeconds"]) {
    checkNumber(state, field, POSITIVE_INTEGER, language, location, out);
    checkAtMostOne(state, [field, `${field}Path`], location, out);
    checkPathField(state, `${field}Path`, location, out);
  }
  if (language === "JSONPath") checkObject(state, "Credentials", location, out);
  checkErrorHandling(state, language, location, out, transition);
};

const checkResource = (resource: unknown, location: string, walk: Walk) => {
  if (typeof resource !== "string" || !resource.startsWith("arn:")) {
    walk.out.push(schemaError("Value is not a valid resource ARN", location));
    return;
  }
  const pattern = taskResourcePattern(resource);
  if (pattern === undefined) {
    walk.out.push(
      schemaError(
        `The resource provided ${resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.`,
        location,
      ),
    );
  } else if (walk.type === "EXPRESS" && pattern !== "requestResponse") {
    // AWS's message ends with a space.
    walk.out.push(
      schemaError(`Express state machine does not support '.${pattern}' service integration `, location),
    );
  }
};

const checkWait = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
) => {
  checkExactlyOne(state, WAIT_DURATION_FIELDS, location, out);
  checkNumber(state, "Seconds", NON_NEGATIVE_INTEGER, language, location, out);
  const timestamp = state.Timestamp;
  if (
    "Timestamp" in state &&
    !(language === "JSONata" && isJsonataExpression(timestamp)) &&
    !isRfc3339Timestamp(timestamp)
  ) {
    out.push(schemaError("String does not match RFC3339 timestamp", `${location}/Timestamp`));
  }
  checkPathField(state, "SecondsPath", location, out);
  checkPathField(state, "TimestampPath", location, out);
};

const checkParallel = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  walk: Walk,
  transition: TransitionSink,
) => {
  const { out } = walk;
  if (checkRequired(state, ["Branches"], location, out)) {
    const branches = state.Branches;
    if (!Array.isArray(branches) || branches.length === 0) {
      out.push(mustBe("Branches", "a non-empty array of state machines", location));
    } else {
      branches.forEach((branch, index) => {
        if (isPlainObject(branch))
          checkMachine(branch, `${location}/Branches[${index}]`, BRANCH_FIELDS, walk);
        else out.push(mustBe("Branches", "an array of state machines", location));
      });
    }
  }
  checkErrorHandling(state, language, location, out, transition);
};

const checkMap = (
  state: Record<string, unknown>,
  language: QueryLanguage,
  location: string,
  walk: Walk,
  transition: TransitionSink,
) => {
  const { out } = walk;
  checkExactlyOne(state, ["ItemProcessor", "Iterator"], location, out);
  for (const field of ["ItemProcessor", "Iterator"]) {
    if (!(field in state)) continue;
    const processor = state[field];
    if (isPlainObject(processor)) checkProcessor(processor, `${location}/${field}`, walk);
    else out.push(mustBe(field, "a state machine", location));
  }
  for (const field of [
    "ItemsPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
  ]) {
    checkPathField(state, field, location, out);
  }
  checkNumber(state, "MaxConcurrency", NON_NEGATIVE_INTEGER, language, location, out);
  checkNumber(state, "ToleratedFailurePercentage", PERCENTAGE, language, location, out);
  checkNumber(state, "ToleratedFailureCount", NON_NEGATIVE_INTEGER, language, location, out);
  for (const field of ["MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount"]) {
    checkAtMostOne(state, [field, `${field}Path`], location, out);
  }
  const items = state.Items;
  if ("Items" in state && !Array.isArray(items) && !isPlainObject(items) && !isJsonataExpression(items)) {
    out.push(mustBe("Items", "a JSON array, a JSON object or a JSONata expression", location));
  }
  if ("Label" in state && !(typeof state.Label === "string" && state.Label.length <= MAX_LABEL_LENGTH)) {
    out.push(mustBe("Label", `a string of at most ${MAX_LABEL_LENGTH} characters`, location));
  }
  for (const field of ["ItemReader", "ItemBatcher", "ResultWriter"]) checkObject(state, field, location, out);
  checkErrorHandling(state, language, location, out, transition);
};

/** A Map's ItemProcessor (or legacy Iterator): a state machine plus how its items run. */
const checkProcessor = (processor: Record<string, unknown>, location: string, walk: Walk) => {
  const { out } = walk;
  const config = processor.ProcessorConfig;
  let childWalk = walk;
  if ("ProcessorConfig" in processor) {
    const at = `${location}/ProcessorConfig`;
    if (!isPlainObject(config)) {
      out.push(mustBe("ProcessorConfig", "a JSON object", location));
    } else {
      checkFields(config, new Set(["Mode", "ExecutionType"]), at, out);
      checkOneOf(config, "Mode", ["INLINE", "DISTRIBUTED"], at, out);
      checkOneOf(config, "ExecutionType", ["STANDARD", "EXPRESS"], at, out);
      if (config.Mode === "DISTRIBUTED") checkRequired(config, ["ExecutionType"], at, out);
      else if ("ExecutionType" in config) out.push(schemaError("Field 'ExecutionType' is not supported", at));
      // A distributed map's EXPRESS children are Express executions, with the same limits.
      if (config.Mode === "DISTRIBUTED" && config.ExecutionType === "EXPRESS")
        childWalk = { ...walk, type: "EXPRESS" };
    }
  }
  checkMachine(processor, location, PROCESSOR_FIELDS, childWalk);
};
