import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { digitizeDefinition } from "../../src/pipeline/definition.js";
import { PIPELINE_QUEUES } from "../../src/pipeline/install.js";
import { validateDefinition } from "../../src/states/definition/index.js";

const shipped = readFileSync(new URL("../../src/pipeline/digitize.asl.json", import.meta.url), "utf8");

/** Every state of a definition, nested ones included, by name. */
function statesOf(definition: {
  States: Record<string, Record<string, unknown>>;
}): [string, Record<string, unknown>][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as typeof definition | undefined;
    return [[name, state] as [string, Record<string, unknown>], ...(processor ? statesOf(processor) : [])];
  });
}

describe("the digitize definition", () => {
  it("is valid ASL as shipped and as installed, without a warning", () => {
    expect(validateDefinition(shipped, { type: "STANDARD" })).toEqual([]);
    const installed = digitizeDefinition({
      region: "eu-west-1",
      accountId: "123456789012",
      mapConcurrency: 7,
    });
    expect(validateDefinition(installed, { type: "STANDARD" })).toEqual([]);
  });

  it("sends to the pipeline's queues, waits at most a day per task, and bounds the Map", () => {
    const installed = JSON.parse(
      digitizeDefinition({ region: "eu-west-1", accountId: "123456789012", mapConcurrency: 7 }),
    );
    const states = statesOf(installed);
    expect(states.map(([name]) => name)).toEqual([
      "SetFileAsProcessing",
      "ParseFile",
      "CreateInvoices",
      "CreateChunk",
      "SendCreateInvoiceRequest",
      "SendPostCreateRequest",
      "Verify",
      "Done",
    ]);
    const waiting = states.filter(([, state]) => String(state.Resource).endsWith(".waitForTaskToken"));
    expect(waiting.map(([, state]) => (state.Parameters as { QueueUrl: string }).QueueUrl)).toEqual([
      "https://sqs.eu-west-1.amazonaws.com/123456789012/process-file",
      "https://sqs.eu-west-1.amazonaws.com/123456789012/create-invoice",
      "https://sqs.eu-west-1.amazonaws.com/123456789012/post-invoice-creation",
      "https://sqs.eu-west-1.amazonaws.com/123456789012/verify",
    ]);
    for (const [, state] of waiting) {
      expect(state.TimeoutSeconds).toBe(86_400);
      expect(PIPELINE_QUEUES).toContain(
        String((state.Parameters as { QueueUrl: string }).QueueUrl)
          .split("/")
          .pop(),
      );
    }
    const [, chunk] = states.find(([name]) => name === "CreateChunk")!;
    expect(chunk.MaxConcurrency).toBe(7);
    const [, invoices] = states.find(([name]) => name === "CreateInvoices")!;
    expect(invoices.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: "DISTRIBUTED" } });
  });
});
