import { queryEvaluationError, runtimeError } from "../errors.js";
import { effectiveInput } from "../io.js";
import { evaluateTyped, isJsonataExpression, resolveJsonataValue } from "../jsonata.js";
import { applyInputPath, readPath } from "../paths.js";
import { applyPayloadTemplate } from "../payload-template.js";
import type { Scope } from "../scope.js";
import type { ChildSpec, Outcome, StateEnv } from "./outcome.js";

/** How AWS shows a value in a "refers to value" message: strings bare, everything else as JSON. */
const shown = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * A numeric Map field given literally, by path (JSONPath) or by expression (JSONata). Paths may
 * point at numbers or numeric strings, as AWS accepts.
 */
async function numberField(
  env: StateEnv,
  scope: Scope,
  field: "MaxConcurrency" | "ToleratedFailureCount" | "ToleratedFailurePercentage",
): Promise<number | undefined> {
  const { state, language } = env;
  if (language === "JSONata") {
    return state[field] === undefined
      ? undefined
      : Number(await resolveJsonataValue(state[field], scope, field));
  }
  if (state[field] !== undefined) return Number(state[field]);
  const path = state[`${field}Path`];
  if (path === undefined) return undefined;
  const value = readPath(path as string, scope, `${field}Path`);
  const integer = field !== "ToleratedFailurePercentage";
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" && value.trim() !== ""
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(number) || (integer && !Number.isInteger(number))) {
    throw runtimeError(
      `The ${field}Path field refers to value "${shown(value)}" which is not a valid ${integer ? "integer" : "float"}: ${String(path)}`,
    );
  }
  return number;
}

function checkTolerance(count: number | undefined, percentage: number | undefined): void {
  if (count !== undefined && count < 0) throw runtimeError("ToleratedFailureCount cannot be negative.");
  if (percentage !== undefined && (percentage < 0 || percentage > 100)) {
    throw runtimeError("ToleratedFailurePercentage must be between 0 and 100.");
  }
}

/** Groups items into batches as ItemBatcher asks: by count and by serialized size. */
function batch(items: unknown[], batcher: Record<string, unknown>, batchInput: unknown): unknown[] {
  const maxItems = (batcher.MaxItemsPerBatch as number | undefined) ?? Number.POSITIVE_INFINITY;
  const maxBytes = (batcher.MaxInputBytesPerBatch as number | undefined) ?? 256 * 1024;
  const batches: unknown[][] = [];
  let current: unknown[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item));
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches.map((group) =>
    batchInput === undefined ? { Items: group } : { BatchInput: batchInput, Items: group },
  );
}

/**
 * Map: one child run per item (or per batch), at most MaxConcurrency at a time (0: no limit).
 * An inline Map's children run inside this execution; a distributed Map's each start an
 * execution of their own (see map-runs.ts).
 */
export async function enterMap(env: StateEnv): Promise<Outcome> {
  const { state, language, scope, name } = env;
  let input: unknown;
  let items: unknown;
  if (language === "JSONata") {
    input = scope.input;
    items =
      state.Items === undefined
        ? input
        : isJsonataExpression(state.Items)
          ? await evaluateTyped(state.Items, scope, "Items", "array")
          : await resolveJsonataValue(state.Items, scope, "Items");
  } else {
    input = applyInputPath(scope.input, state.InputPath as string | null | undefined, scope);
    items = readPath((state.ItemsPath as string | undefined) ?? "$", { ...scope, input }, "ItemsPath");
  }
  if (!Array.isArray(items)) {
    throw queryEvaluationError(`Map state input must be an array but was: ${JSON.stringify(items)}`);
  }
  const inner: Scope = { ...scope, input };
  const selector = state.ItemSelector ?? (language === "JSONPath" ? state.Parameters : undefined);
  const selected: unknown[] = [];
  for (const [index, value] of items.entries()) {
    if (selector === undefined) {
      selected.push(value);
      continue;
    }
    const itemScope: Scope = {
      ...inner,
      context: { ...inner.context, Map: { Item: { Index: index, Value: value } } },
    };
    selected.push(
      language === "JSONata"
        ? await resolveJsonataValue(selector, itemScope, "ItemSelector")
        : applyPayloadTemplate(selector, itemScope, "ItemSelector"),
    );
  }
  const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
  const childInputs = batcher
    ? batch(
        selected,
        batcher,
        batcher.BatchInput === undefined
          ? undefined
          : language === "JSONata"
            ? await resolveJsonataValue(batcher.BatchInput, inner, "BatchInput")
            : applyPayloadTemplate(batcher.BatchInput, inner, "BatchInput"),
      )
    : selected;
  const processor = state.ItemProcessor !== undefined ? "ItemProcessor" : "Iterator";
  const container = `${env.container}/States/${name}/${processor}`;
  const children: ChildSpec[] = childInputs.map((childInput, index) => ({
    container,
    input: childInput,
    variables: { ...scope.variables },
    mapItem: { index, value: items[index] },
  }));
  const maxConcurrency = (await numberField(env, inner, "MaxConcurrency")) ?? 0;
  const toleratedCount = await numberField(env, inner, "ToleratedFailureCount");
  const toleratedPercentage = await numberField(env, inner, "ToleratedFailurePercentage");
  checkTolerance(toleratedCount, toleratedPercentage);
  const processorConfig = (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)
    ?.ProcessorConfig;
  return {
    type: "spawn",
    children,
    maxConcurrency,
    ...(processorConfig?.Mode === "DISTRIBUTED"
      ? { distributed: { label: state.Label as string | undefined } }
      : {}),
    ...(toleratedCount !== undefined ? { toleratedCount } : {}),
    ...(toleratedPercentage !== undefined ? { toleratedPercentage } : {}),
  };
}

/** Parallel: one child run per branch, all at once, each on the same (effective) input. */
export async function enterParallel(env: StateEnv): Promise<Outcome> {
  const { state, language, scope, name } = env;
  const input =
    language === "JSONata"
      ? state.Arguments === undefined
        ? scope.input
        : await resolveJsonataValue(state.Arguments, scope, "Arguments")
      : await effectiveInput(state, language, scope);
  const branches = (state.Branches as unknown[] | undefined) ?? [];
  return {
    type: "spawn",
    children: branches.map((_, index) => ({
      container: `${env.container}/States/${name}/Branches/${index}`,
      input,
      variables: { ...scope.variables },
    })),
    maxConcurrency: 0,
  };
}
