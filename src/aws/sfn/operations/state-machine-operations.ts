import { validateDefinition } from "../../../states/definition/index.js";
import type { StateMachine } from "../../../states/machines.js";
import { ServiceError } from "../../../states/service-errors.js";
import { STATE_MACHINE_TYPES } from "../../../states/types.js";
import { checkArn } from "../arns.js";
import { boolean, decode, integer, requiredString, string, structure, tagList } from "../input.js";
import { seconds } from "../output.js";
import { decodePageToken, encodePageToken } from "../page-tokens.js";
import type { SfnOperation } from "./call.js";

/** Definitions may be up to 1 MiB. */
const definition = () => requiredString({ min: 1, max: 1_048_576, sensitive: true });
const stateMachineArn = () => requiredString({ min: 1, max: 256 });
/** Inflow keeps no logs, traces or keys of its own, so these settings are accepted and not acted on. */
const settings = {
  loggingConfiguration: structure(),
  tracingConfiguration: structure(),
  encryptionConfiguration: structure(),
  publish: boolean(),
  versionDescription: string({ max: 256, sensitive: true }),
};
/** ListStateMachines and ValidateStateMachineDefinition treat a maxResults of 0 as "the default". */
const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_DIAGNOSTICS = 100;

/** What DescribeStateMachine reports of settings Inflow does not have: none of them on. */
const NO_LOGGING = { level: "OFF", includeExecutionData: false };
const NO_TRACING = { enabled: false };

/** State machine lifecycle and definition checks. */
export const stateMachineOperations: Record<string, SfnOperation> = {
  async CreateStateMachine({ states, input }) {
    const request = decode(input, {
      name: requiredString({ min: 1, max: 80 }),
      definition: definition(),
      roleArn: requiredString({ min: 1, max: 256 }),
      type: string({ enum: STATE_MACHINE_TYPES }),
      tags: tagList(),
      ...settings,
    });
    const machine = await states.machines.create({
      name: request.name,
      definition: request.definition,
      roleArn: request.roleArn,
      type: request.type,
      tags: request.tags,
    });
    return { stateMachineArn: machine.arn, creationDate: seconds(machine.createdAt) };
  },

  async DescribeStateMachine({ states, input }) {
    const request = decode(input, {
      stateMachineArn: stateMachineArn(),
      // Only KMS-encrypted definitions are held back with METADATA_ONLY, and Inflow encrypts none.
      includedData: string({ enum: ["ALL_DATA", "METADATA_ONLY"] }),
    });
    const machine = await states.machines.byArn(checkArn(request.stateMachineArn, "stateMachine"));
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: "ACTIVE",
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: seconds(machine.createdAt),
      loggingConfiguration: NO_LOGGING,
      tracingConfiguration: NO_TRACING,
    };
  },

  async UpdateStateMachine({ states, input }) {
    const request = decode(input, {
      stateMachineArn: stateMachineArn(),
      definition: string({ min: 1, max: 1_048_576, sensitive: true }),
      roleArn: string({ min: 1, max: 256 }),
      ...settings,
    });
    if (
      request.definition === undefined &&
      request.roleArn === undefined &&
      request.loggingConfiguration === undefined &&
      request.tracingConfiguration === undefined
    ) {
      throw new ServiceError(
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
      );
    }
    const machine = await states.machines.update(checkArn(request.stateMachineArn, "stateMachine"), {
      definition: request.definition,
      roleArn: request.roleArn,
    });
    return { updateDate: seconds(machine.updatedAt) };
  },

  async DeleteStateMachine({ states, input }) {
    const request = decode(input, { stateMachineArn: stateMachineArn() });
    // Deleting what does not exist succeeds, as it does on AWS.
    await states.machines.remove(checkArn(request.stateMachineArn, "stateMachine"));
    return {};
  },

  async ListStateMachines({ states, input }) {
    const request = decode(input, {
      maxResults: integer({ min: 0, max: 1000 }),
      nextToken: string({ min: 1, max: 1024 }),
    });
    const limit = request.maxResults || DEFAULT_PAGE_SIZE;
    // Names are unique, so the last name listed is where the next page starts. They are ordered
    // here rather than by the database, whose collation (PostgreSQL's locale) may differ from `>`.
    const after =
      request.nextToken === undefined
        ? undefined
        : String(decodePageToken(request.nextToken, "stateMachines"));
    const machines = (await states.machines.list())
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .filter((machine) => after === undefined || machine.name > after);
    const page = machines.slice(0, limit);
    return {
      stateMachines: page.map(listItem),
      nextToken: machines.length > limit ? encodePageToken("stateMachines", page.at(-1)!.name) : undefined,
    };
  },

  async ValidateStateMachineDefinition({ input }) {
    const request = decode(input, {
      definition: requiredString({ max: 1_048_576, sensitive: true }),
      type: string({ enum: STATE_MACHINE_TYPES }),
      severity: string({ enum: ["ERROR", "WARNING"] }),
      maxResults: integer({ min: 0, max: 100 }),
    });
    const found = validateDefinition(request.definition, { type: request.type ?? "STANDARD" });
    const reported =
      request.severity === "WARNING" ? found : found.filter((diagnostic) => diagnostic.severity === "ERROR");
    const limit = request.maxResults || DEFAULT_DIAGNOSTICS;
    return {
      result: found.some((diagnostic) => diagnostic.severity === "ERROR") ? "FAIL" : "OK",
      diagnostics: reported.slice(0, limit),
      truncated: reported.length > limit,
    };
  },
};

function listItem(machine: StateMachine) {
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    type: machine.type,
    creationDate: seconds(machine.createdAt),
  };
}
