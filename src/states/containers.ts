import type { ContainerDefinition, MachineDefinition, QueryLanguage } from "./types.js";

/**
 * Finds a container (the top level, a Map's ItemProcessor or Iterator, a Parallel branch) by its
 * path in the definition: "" or a JSON-pointer-like path such as `/States/M/ItemProcessor`.
 */
export function containerAt(definition: MachineDefinition, path: string): ContainerDefinition {
  let node: unknown = definition;
  for (const part of path.split("/").slice(1)) {
    node = (node as Record<string, unknown>)[part];
  }
  if (!node || typeof node !== "object" || !("States" in node)) {
    throw new Error(`No container at ${path || "the top level"} of the definition`);
  }
  return node as ContainerDefinition;
}

/** The query language a state inherits: the definition's, JSONPath by default. */
export function topLanguage(definition: MachineDefinition): QueryLanguage {
  return definition.QueryLanguage ?? "JSONPath";
}
