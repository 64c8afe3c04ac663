import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { type Instance, runCli, startInstance } from "../support/instance.js";

// Each CLI run is a Node.js process starting through tsx: seconds apiece on a busy machine.
describe("inflow functions against a running instance", { timeout: 60_000 }, () => {
  let instance: Instance;
  let endpoint: string[];

  beforeAll(async () => {
    const functions = createFunctions();
    functions.register("total", async (event: { lines: string[] }) => ({
      lines: event.lines.length,
      first: event.lines[0] ?? null,
    }));
    functions.register(
      "reject",
      async () => {
        throw new RangeError("amount out of range");
      },
      { timeoutSeconds: 10 },
    );
    instance = await startInstance("sqlite", functions);
    endpoint = ["--endpoint", instance.url];
  });
  afterAll(async () => {
    await instance?.close();
  });

  it("invoke prints the result for people and {result} with --json", async () => {
    const input = JSON.stringify({ lines: ["12.50", "7.25"] });
    const people = await runCli(["functions", "invoke", "total", "--input", input, ...endpoint]);
    expect(people.stderr).toBe("");
    expect(people.code).toBe(0);
    expect(people.stdout).toBe(`${JSON.stringify({ lines: 2, first: "12.50" }, null, 2)}\n`);

    const scripts = await runCli(["functions", "invoke", "total", "--input", input, "--json", ...endpoint]);
    expect(scripts.code).toBe(0);
    expect(scripts.json()).toEqual({ result: { lines: 2, first: "12.50" } });
  });

  it("invoke without --input calls the function with {}", async () => {
    const run = await runCli(["functions", "invoke", "total", "--json", ...endpoint]);
    // `{}.lines` is undefined: the function throws, which proves it got an object without lines.
    expect(run.code).toBe(1);
    expect(run.json<{ error: { errorType: string } }>().error.errorType).toBe("TypeError");
  });

  it("a failing function prints its error report and exits 1", async () => {
    const people = await runCli(["functions", "invoke", "reject", ...endpoint]);
    expect(people.code).toBe(1);
    expect(people.stdout).toBe("");
    expect(people.stderr).toMatch(/^Function reject failed: RangeError: amount out of range\n {4}at /);

    const scripts = await runCli(["functions", "invoke", "reject", "--json", ...endpoint]);
    expect(scripts.code).toBe(1);
    expect(scripts.json()).toEqual({
      error: { errorType: "RangeError", errorMessage: "amount out of range", trace: expect.any(Array) },
    });
  });

  it("an unknown function is Lambda's error; bad JSON input is refused before calling", async () => {
    const missing = await runCli(["functions", "invoke", "nope", ...endpoint]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      "inflow: ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope\n",
    );
    const badInput = await runCli(["functions", "invoke", "total", "--input", "{lines:", ...endpoint]);
    expect(badInput.code).toBe(1);
    expect(badInput.stderr).toContain("not JSON");
  });

  it("ls lists the functions as a table and as JSON", async () => {
    const people = await runCli(["functions", "ls", ...endpoint]);
    expect(people.code).toBe(0);
    expect(people.stdout).toBe(
      [
        "NAME    TIMEOUT  ARN",
        "reject     10 s  arn:aws:lambda:us-east-1:000000000000:function:reject",
        "total       3 s  arn:aws:lambda:us-east-1:000000000000:function:total",
        "",
      ].join("\n"),
    );
    const scripts = await runCli(["functions", "ls", "--json", ...endpoint]);
    expect(scripts.json()).toEqual([
      { name: "reject", arn: "arn:aws:lambda:us-east-1:000000000000:function:reject", timeoutSeconds: 10 },
      { name: "total", arn: "arn:aws:lambda:us-east-1:000000000000:function:total", timeoutSeconds: 3 },
    ]);
  });

  it("an unreachable endpoint, or one without the Lambda API, says so", async () => {
    const unreachable = await runCli(["functions", "ls", "--endpoint", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("Cannot reach Inflow at http://127.0.0.1:9");

    const bare = await startInstance("sqlite");
    try {
      const run = await runCli(["functions", "invoke", "total", "--endpoint", bare.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `inflow: ${bare.url} does not answer as the Lambda API of Inflow (HTTP 404: Route POST:/2015-03-31/functions/total/invocations not found). Check that --endpoint or INFLOW_ENDPOINT points at \`inflow serve\`.\n`,
      );
    } finally {
      await bare.close();
    }
  });
});
