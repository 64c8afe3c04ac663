/**
 * Runs the AWS-recorded ASL cases through the engine on a fresh SQLite store and reports.
 *
 *   node --import tsx scripts/conformance.ts                 # summary and every failure
 *   node --import tsx scripts/conformance.ts --filter wait   # only cases whose name contains "wait"
 *   node --import tsx scripts/conformance.ts --write         # also rewrite docs/conformance.md
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createQueues } from "../src/queues/service.js";
import { createStates } from "../src/states/engine.js";
import { openStore } from "../src/store/open.js";
import { type Actual, type AslCase, differences, loadCases } from "../test/support/asl-cases.js";

const args = process.argv.slice(2);
const filter = args.includes("--filter") ? args[args.indexOf("--filter") + 1] : undefined;
const write = args.includes("--write");
const cases = loadCases().filter((testCase) => !filter || testCase.name.includes(filter));

const dataDir = mkdtempSync(join(tmpdir(), "inflow-conformance-"));
const store = await openStore({ dataDir });
const queues = createQueues(store);
const states = createStates(store, queues, { concurrency: 4 });
await states.startWorkers();

async function run(testCase: AslCase, index: number): Promise<Actual> {
  try {
    const machine = await states.machines.create({
      name: `case-${index}`,
      definition: JSON.stringify(testCase.definition),
      type: testCase.stateMachineType,
    });
    const started = await states.executions.start({
      stateMachineArn: machine.arn,
      input: JSON.stringify(testCase.input),
    });
    for (;;) {
      const execution = await states.executions.describe(started.executionArn);
      if (execution.status !== "RUNNING") {
        return {
          status: execution.status,
          ...(execution.output !== undefined ? { output: JSON.parse(execution.output) } : {}),
          ...(execution.error !== undefined ? { error: execution.error } : {}),
          ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    if ((error as Error).name === "InvalidDefinition")
      return { status: "INVALID_DEFINITION", cause: (error as Error).message };
    return { status: "ERROR", cause: String(error) };
  }
}

const outcomes: Array<{ testCase: AslCase; problems: string[]; actual: Actual }> = [];
let next = 0;
await Promise.all(
  Array.from({ length: 40 }, async () => {
    while (next < cases.length) {
      const index = next++;
      const testCase = cases[index]!;
      const actual = await run(testCase, index);
      outcomes.push({ testCase, problems: differences(testCase, actual), actual });
    }
  }),
);
await states.close();
await queues.close();
await store.close();
rmSync(dataDir, { recursive: true, force: true });

const failures = outcomes
  .filter((outcome) => outcome.problems.length > 0)
  .sort((a, b) => a.testCase.name.localeCompare(b.testCase.name));
for (const { testCase, problems, actual } of failures) {
  const detail =
    actual.status !== testCase.expected.status ? `\n  actual: ${JSON.stringify(actual).slice(0, 500)}` : "";
  console.log(`\nFAIL ${testCase.name}\n  ${problems.join("\n  ")}${detail}`);
}
const passed = outcomes.length - failures.length;
console.log(`\n${passed} of ${outcomes.length} cases pass`);

if (write) {
  const byFeature = new Map<string, { passed: number; total: number }>();
  for (const { testCase, problems } of outcomes) {
    for (const feature of testCase.features) {
      const entry = byFeature.get(feature) ?? { passed: 0, total: 0 };
      entry.total++;
      if (problems.length === 0) entry.passed++;
      byFeature.set(feature, entry);
    }
  }
  const rows = [...byFeature]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(
      ([feature, { passed: ok, total }]) =>
        `| \`${feature}\` | ${ok} | ${total} | ${((ok / total) * 100).toFixed(1)}% |`,
    );
  const failing = failures.map(
    ({ testCase, problems }) => `- \`${testCase.name}\`: ${problems.join("; ").slice(0, 300)}`,
  );
  writeFileSync(
    "docs/conformance.md",
    `# ASL conformance

Inflow's engine runs every visible case of \`../shared/conformance/asl/cases\` (executions recorded
against real AWS Step Functions) and compares status, output, error and cause as the cases' README
prescribes. The test \`test/states/conformance.test.ts\` does this on SQLite and on PostgreSQL in
every CI run; this page was produced on SQLite by:

    node --import tsx scripts/conformance.ts --write

**${passed} of ${outcomes.length} cases pass (${((passed / outcomes.length) * 100).toFixed(1)}%).**

| feature tag | passed | cases | rate |
| --- | ---: | ---: | ---: |
${rows.join("\n")}
${failing.length > 0 ? `\n## Failing cases\n\n${failing.join("\n")}\n` : ""}`,
  );
}
process.exit(0);
