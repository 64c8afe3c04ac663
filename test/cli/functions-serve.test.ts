import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/instance.js";
import { type Spawned, spawnTs } from "../support/processes.js";

// The whole path an operator takes: `inflow serve --config` with functions, then the CLI against it.
// Each CLI run is a Node.js process starting through tsx: seconds apiece on a busy machine.
describe("the operating commands against inflow serve --config", { timeout: 60_000 }, () => {
  let dir: string;
  let serve: Spawned;
  let endpoint: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "inflow-cli-serve-"));
    writeFileSync(
      join(dir, "functions.mjs"),
      `export async function handler(event) {
  if (!event.name) throw new TypeError("name is required");
  return { greeting: "Hello, " + event.name };
}
`,
    );
    writeFileSync(
      join(dir, "inflow.yaml"),
      `queues:
  greetings:
    redrivePolicy:
      deadLetterQueue: greetings-dlq
      maxReceiveCount: 3
  greetings-dlq:
functions:
  greet:
    module: ./functions.mjs
    timeout: 5
`,
    );
    serve = spawnTs("src/cli/main.ts", [
      "serve",
      "--port",
      "0",
      "--data",
      join(dir, "data"),
      "--config",
      join(dir, "inflow.yaml"),
    ]);
    const line = await serve.waitForLine((text) => text.includes("listening on"), 30_000);
    endpoint = ["--endpoint", /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!];
  });
  afterAll(async () => {
    serve?.child.kill("SIGTERM");
    await serve?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("functions ls and invoke reach the functions the resource file declares", async () => {
    const ls = await runCli(["functions", "ls", ...endpoint]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^greet\s+5 s\s+arn:aws:lambda:us-east-1:000000000000:function:greet$/m);

    const invoked = await runCli([
      "functions",
      "invoke",
      "greet",
      "--input",
      '{"name":"Serve"}',
      "--json",
      ...endpoint,
    ]);
    expect(invoked.code).toBe(0);
    expect(invoked.json()).toEqual({ result: { greeting: "Hello, Serve" } });

    const failed = await runCli(["functions", "invoke", "greet", ...endpoint]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Function greet failed: TypeError: name is required\n/);
  });

  it("queues ls shows the declared queues and their dead-letter queue", async () => {
    const run = await runCli(["queues", "ls", "--prefix", "greetings", ...endpoint]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^greetings\s+0\s+0\s+0\s+greetings-dlq\s+0$/m);
    expect(run.stdout).toMatch(/^greetings-dlq\s+0\s+0\s+0\s+-\s+-$/m);
  });
});
