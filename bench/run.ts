/**
 * The benchmarks' entry: `npm run bench` runs every suite, `npm run bench -- <suite> [flags]`
 * runs one (flags go to the suite). Benchmarks are kept apart from the tests: `npm test` never
 * runs them.
 *
 *   npm run bench                           every suite, default settings
 *   npm run bench -- queues --messages 5000 the queue suite only, with its flags
 *
 * A suite is a module under bench/<name>/ exporting `main(args, command)`; it prints its report
 * and writes its own section of docs/benchmarks.md. Add a suite by adding it to SUITES. Flags are
 * each suite's own (`queues --messages N`, `formats --runs N`): give them with one suite named.
 */

type Suite = (args: string[], command: string) => Promise<void>;

const SUITES: Record<string, () => Promise<Suite>> = {
  queues: async () => (await import("./queues/run.js")).main,
  formats: async () => (await import("./formats/run.js")).main,
  states: async () => (await import("./states/run.js")).main,
  functions: async () => (await import("./functions/run.js")).main,
  pipeline: async () => (await import("./pipeline/run.js")).main,
  dashboard: async () => (await import("./dashboard/run.js")).main,
};

// Leading words name suites; everything from the first flag on goes to each suite.
const argv = process.argv.slice(2);
const firstFlag = argv.findIndex((arg) => arg.startsWith("-"));
const named = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : argv.slice(firstFlag);
const unknown = named.filter((name) => !(name in SUITES));
if (unknown.length > 0) {
  console.error(`Unknown suite: ${unknown.join(", ")}. Suites: ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}
const suites = named.length > 0 ? named : Object.keys(SUITES);
const command =
  process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`
    : `node --import tsx bench/run.ts ${argv.join(" ")}`.trim();

for (const name of suites) {
  const suite = await SUITES[name]!();
  await suite(flags, command);
}
