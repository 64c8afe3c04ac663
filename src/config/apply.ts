import { readFile, stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Functions } from "../functions/registry.js";
import type { FunctionRuntime } from "../functions/runtime.js";
import type { Queues } from "../queues/types.js";
import type { States } from "../states/engine.js";
import { resourceFileError } from "./errors.js";
import type { ResourceFile } from "./resources.js";

/** A state machine definition file is at most a few hundred KiB; this bounds a wrong path. */
const MAX_DEFINITION_BYTES = 1_048_576;

export interface AppliedResources {
  queues: string[];
  stateMachines: string[];
  functions: string[];
  /** The mappings' UUIDs. */
  eventSourceMappings: string[];
  schedules: string[];
  /** Declared by an earlier version of the file, no longer named: disabled. */
  disabled: { eventSourceMappings: string[]; schedules: string[] };
}

/** Runs `work`; a failure becomes a ResourceFileError naming the resource (and the field its message names). */
async function about<T>(file: ResourceFile, where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as Error).name === "ResourceFile.Invalid") throw error;
    throw resourceFileError(file.path, where, (error as Error).message);
  }
}

const localPath = (file: ResourceFile, path: string) => (isAbsolute(path) ? path : resolve(file.dir, path));

/**
 * Imports each declared function's module and registers its export. Every process that runs the
 * mappings, schedules or Task states using them does this; the modules are JavaScript (or
 * TypeScript when Node.js runs with a loader such as tsx).
 */
export async function registerFunctions(file: ResourceFile, functions: Functions): Promise<string[]> {
  const declared = Object.entries(file.resources.functions ?? {});
  const registered = new Set(functions.list().map((fn) => fn.name));
  for (const [name, declaration] of declared) {
    const where = `functions.${name}`;
    if (registered.has(name)) {
      throw resourceFileError(
        file.path,
        where,
        "a function of this name is registered already (by the program that embeds Inflow); rename one of them.",
      );
    }
    const exportName = declaration.export ?? "handler";
    // A relative path is the file's neighbour; anything else is a package name.
    const specifier =
      declaration.module.startsWith(".") || isAbsolute(declaration.module)
        ? pathToFileURL(localPath(file, declaration.module)).href
        : declaration.module;
    const loaded = await about(
      file,
      `${where}.module`,
      () => import(specifier) as Promise<Record<string, unknown>>,
    );
    const handler = loaded[exportName];
    if (typeof handler !== "function") {
      throw resourceFileError(
        file.path,
        `${where}.export`,
        `${declaration.module} has no function export '${exportName}'.`,
      );
    }
    await about(file, where, async () =>
      functions.register(
        name,
        handler as never,
        declaration.timeout === undefined ? {} : { timeoutSeconds: declaration.timeout },
      ),
    );
  }
  return declared.map(([name]) => name);
}

async function readDefinition(
  file: ResourceFile,
  name: string,
  definition: string | object,
): Promise<string> {
  if (typeof definition !== "string") return JSON.stringify(definition);
  const where = `stateMachines.${name}.definition`;
  const path = localPath(file, definition);
  return about(file, where, async () => {
    const { size } = await stat(path);
    if (size > MAX_DEFINITION_BYTES)
      throw new Error(`${definition} is ${size} bytes, over ${MAX_DEFINITION_BYTES}.`);
    return readFile(path, "utf8");
  });
}

/**
 * Creates or updates what the file declares, idempotently (every process of a deployment may
 * apply the same file at its start), and disables the mappings and schedules an earlier version
 * declared and this one does not. Queues and state machines it no longer names are kept: deleting
 * a queue loses its messages and deleting a machine strands its running executions, so those go
 * only by an explicit DeleteQueue or DeleteStateMachine.
 */
export async function applyResources(
  file: ResourceFile,
  targets: { queues: Queues; states: States; runtime: FunctionRuntime },
): Promise<AppliedResources> {
  const { queues, states, runtime } = targets;
  const { resources } = file;
  const queueEntries = Object.entries(resources.queues ?? {});

  // Every queue first, then the redrive policies, which name other queues.
  for (const [name, declaration] of queueEntries) {
    await about(file, `queues.${name}`, async () => {
      const attributes = Object.fromEntries(
        Object.entries(declaration?.attributes ?? {}).map(([key, value]) => [key, String(value)]),
      );
      const exists = await queues.getQueue(name).then(
        () => true,
        (error: Error) => {
          if (error.name === "QueueDoesNotExist") return false;
          throw error;
        },
      );
      if (!exists) {
        await queues.createQueue(name, {
          ...attributes,
          ...(name.endsWith(".fifo") ? { FifoQueue: "true" } : {}),
        });
      } else if (Object.keys(attributes).length > 0) {
        await queues.setQueueAttributes(name, attributes);
      }
    });
  }
  for (const [name, declaration] of queueEntries) {
    const redrive = declaration?.redrivePolicy;
    if (!redrive) continue;
    await about(file, `queues.${name}.redrivePolicy`, () =>
      queues.setQueueAttributes(name, {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: redrive.deadLetterQueue.startsWith("arn:")
            ? redrive.deadLetterQueue
            : queues.arnOf(redrive.deadLetterQueue),
          maxReceiveCount: redrive.maxReceiveCount,
        }),
      }),
    );
  }

  for (const [name, declaration] of Object.entries(resources.stateMachines ?? {})) {
    const definition = await readDefinition(file, name, declaration.definition);
    const type = declaration.type ?? "STANDARD";
    await about(file, `stateMachines.${name}`, async () => {
      const arn = states.machines.arnOf(name);
      const existing = await states.machines.byArn(arn).catch((error: Error) => {
        if (error.name === "StateMachineDoesNotExist") return undefined;
        throw error;
      });
      if (!existing) await states.machines.create({ name, definition, type });
      else if (existing.type !== type) {
        throw new Error(
          `type: it is ${existing.type} and a machine's type cannot change; delete the machine first.`,
        );
      } else if (existing.definitionText !== definition) await states.machines.update(arn, { definition });
    });
  }

  const uuids: string[] = [];
  for (const [index, mapping] of (resources.eventSourceMappings ?? []).entries()) {
    const declared = await about(
      file,
      `eventSourceMappings[${index}] (${mapping.queue} -> ${mapping.function})`,
      () =>
        runtime.mappings.declare({
          queue: mapping.queue,
          functionName: mapping.function,
          ...(mapping.batchSize !== undefined ? { batchSize: mapping.batchSize } : {}),
          ...(mapping.maximumBatchingWindowInSeconds !== undefined
            ? { maximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds }
            : {}),
          maximumConcurrency: mapping.maximumConcurrency ?? null,
          functionResponseTypes: mapping.functionResponseTypes ?? [],
          enabled: mapping.enabled ?? true,
        }),
    );
    uuids.push(declared.uuid);
  }

  const scheduleNames: string[] = [];
  for (const [name, schedule] of Object.entries(resources.schedules ?? {})) {
    const { stateMachine, function: fn } = schedule.target;
    await about(file, `schedules.${name}`, () =>
      runtime.schedules.declare({
        name,
        expression: schedule.expression,
        ...(schedule.timezone !== undefined ? { timezone: schedule.timezone } : {}),
        target:
          stateMachine !== undefined
            ? { kind: "state-machine", name: stateMachine }
            : { kind: "function", name: fn! },
        input: JSON.stringify(schedule.input ?? {}),
        enabled: schedule.enabled ?? true,
      }),
    );
    scheduleNames.push(name);
  }

  return {
    queues: queueEntries.map(([name]) => name),
    stateMachines: Object.keys(resources.stateMachines ?? {}),
    functions: Object.keys(resources.functions ?? {}),
    eventSourceMappings: uuids,
    schedules: scheduleNames,
    disabled: {
      eventSourceMappings: await runtime.mappings.disableUndeclared(uuids),
      schedules: await runtime.schedules.disableUndeclared(scheduleNames),
    },
  };
}

/** One line for the log: what a file declared, and what applying it disabled. */
export function describeApplied(file: ResourceFile, applied: AppliedResources): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const disabled = [
    ...applied.disabled.eventSourceMappings.map((uuid) => `mapping ${uuid}`),
    ...applied.disabled.schedules.map((name) => `schedule ${name}`),
  ];
  return `Resources from ${file.path}: ${[
    count(applied.queues.length, "queue"),
    count(applied.stateMachines.length, "state machine"),
    count(applied.functions.length, "function"),
    count(applied.eventSourceMappings.length, "event-source mapping"),
    count(applied.schedules.length, "schedule"),
  ].join(", ")}${disabled.length > 0 ? `; disabled, no longer declared: ${disabled.join(", ")}` : ""}`;
}
