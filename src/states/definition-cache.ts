import type { MachineDefinition } from "./types.js";

/** At most this many definition texts stay parsed; past it the cache starts over. */
const MAX_CACHED = 1000;

const parsed = new Map<string, MachineDefinition>();

/**
 * A definition text, parsed once: every execution of a machine (and every StartExecution that
 * reads it) shares one parse. Nothing may change the object it returns.
 */
export function parseDefinition(text: string): MachineDefinition {
  let definition = parsed.get(text);
  if (!definition) {
    definition = JSON.parse(text) as MachineDefinition;
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(text, definition);
  }
  return definition;
}
