import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const MAIN = "src/cli/main.ts";

/** `inflow ...` as a child process (TypeScript through tsx). */
function inflow(args: string[]): ChildProcess & { output: () => string; errors: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return Object.assign(child, { output: () => stdout, errors: () => stderr });
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

/** Resolves with the first match of `pattern` in the child's stdout. */
async function waitForOutput(child: ReturnType<typeof inflow>, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = child.output().match(pattern);
    if (match) return match;
    if (child.exitCode !== null) throw new Error(`inflow exited ${child.exitCode}: ${child.errors()}`);
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} in output: ${child.output()} ${child.errors()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("inflow", () => {
  it("--help lists the commands and exits 0", async () => {
    const child = inflow(["--help"]);
    expect(await exitCode(child)).toBe(0);
    expect(child.output()).toMatch(/Usage: inflow/);
    expect(child.output()).toMatch(/^\s+serve\b/m);
  });

  it("--version prints the package version", async () => {
    const child = inflow(["--version"]);
    expect(await exitCode(child)).toBe(0);
    expect(child.output().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("serve refuses a port in use with a plain message and exit code 1", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    const database = createTestDatabase("sqlite");
    try {
      const child = inflow(["serve", "--port", String(port), ...database.args]);
      expect(await exitCode(child)).toBe(1);
      expect(child.errors()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(child.errors()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
      await database.drop();
    }
  });

  it("serve reports an unreachable database without its password, exit code 1", async () => {
    const child = inflow([
      "serve",
      "--port",
      "0",
      "--database",
      "postgres://inflow:s3cret@127.0.0.1:1/inflow",
    ]);
    expect(await exitCode(child)).toBe(1);
    expect(child.errors()).toContain("Cannot connect to PostgreSQL");
    expect(child.errors() + child.output()).not.toContain("s3cret");
    expect(child.errors()).not.toMatch(/\n\s+at /);
  });
});

describe.each(BACKENDS)("inflow serve on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  afterAll(async () => {
    await database.drop();
  });

  it("serves the SQS API on 127.0.0.1 and exits 0 on SIGTERM", async () => {
    const child = inflow(["serve", "--port", "0", ...database.args]);
    try {
      const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const client = new SQSClient({
        endpoint: url,
        region: "us-east-1",
        credentials: { accessKeyId: "any", secretAccessKey: "any" },
        maxAttempts: 1,
      });
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: "from-cli" }));
      client.destroy();
      expect(QueueUrl).toBe(`${url}/000000000000/from-cli`);
      expect(child.output()).not.toMatch(/:[^/@]*@/); // no credentials in the printed location
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exitCode(child)).toBe(0);
  });
});
