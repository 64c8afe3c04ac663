import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { resourceFileError } from "./errors.js";
import schema from "./inflow.schema.json" with { type: "json" };
import type { ResourceFile, Resources } from "./resources.js";

/** A resource file is a page of settings, not data: anything larger is a mistake. */
const MAX_FILE_BYTES = 1_048_576;
/** Problems listed per failed check; the first few are what a person fixes next. */
const MAX_REPORTED = 5;

const validate = new Ajv({ allErrors: true, strict: false }).compile<Resources>(schema);

/**
 * Where a schema error points, as the resource and field: `queues.process-file.attributes.X`,
 * `eventSourceMappings[0] (work -> handle-work).batchSize`.
 */
function fieldOf(resources: Resources, error: ErrorObject): string {
  const parts = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (error.keyword === "additionalProperties") parts.push(String(error.params.additionalProperty));
  if (error.keyword === "required") parts.push(String(error.params.missingProperty));
  if (error.propertyName !== undefined) parts.push(error.propertyName);
  let where = "";
  parts.forEach((part, index) => {
    if (parts[index - 1] === "eventSourceMappings" && index === 1) {
      const mapping = resources.eventSourceMappings?.[Number(part)];
      where += `[${part}]${mapping?.queue && mapping.function ? ` (${mapping.queue} -> ${mapping.function})` : ""}`;
    } else {
      where += where ? `.${part}` : part;
    }
  });
  return where;
}

function reasonOf(error: ErrorObject): string {
  if (error.propertyName !== undefined) {
    return error.keyword === "not"
      ? "is set elsewhere: RedrivePolicy goes in redrivePolicy, and FifoQueue follows from a name ending in .fifo"
      : "is not a valid name for this kind of resource";
  }
  switch (error.keyword) {
    case "additionalProperties":
      return "is not a field Inflow knows; check its spelling against docs/resources.md";
    case "required":
      return "is required";
    case "enum":
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(error.params.allowedValue)}`;
    default:
      return error.message ?? "is not valid";
  }
}

/** Reads, parses and checks a resource file; throws ResourceFileError naming the resource and field at fault. */
export async function loadResourceFile(file: string): Promise<ResourceFile> {
  const path = resolve(file);
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_FILE_BYTES)
      throw resourceFileError(
        file,
        "",
        `is ${size} bytes; a resource file may have at most ${MAX_FILE_BYTES}.`,
      );
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as Error).name === "ResourceFile.Invalid") throw error;
    throw resourceFileError(file, "", `cannot be read: ${(error as Error).message}`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = document.errors.slice(0, MAX_REPORTED).map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return `line ${line}, column ${col}: ${error.message.split("\n")[0]}`;
    });
    throw resourceFileError(file, "", `is not valid YAML: ${problems.join("; ")}`);
  }
  // An empty file declares nothing.
  const contents = document.contents;
  const resources = (contents === null ? {} : document.toJS({ maxAliasCount: 100 })) as Resources;
  if (contents !== null && (!isMap(contents) || isSeq(contents))) {
    throw resourceFileError(
      file,
      "",
      "must be a mapping of queues, stateMachines, functions, eventSourceMappings and schedules.",
    );
  }
  if (!validate(resources)) {
    const problems = (validate.errors ?? [])
      // oneOf and propertyNames repeat what their inner errors say better.
      .filter((error) => error.keyword !== "oneOf" && error.keyword !== "propertyNames")
      .slice(0, MAX_REPORTED)
      .map((error) => `${fieldOf(resources, error)}: ${reasonOf(error)}`);
    throw resourceFileError(file, "", problems.join("; "));
  }
  return { path, dir: dirname(path), resources };
}
