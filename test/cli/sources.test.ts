import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { writeJson } from "../../src/formats/samples.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const run = promisify(execFile);

/** `inflow ...` as a child process; resolves with its stdout and exit code. */
async function inflow(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args]);
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

interface Report {
  files: Array<{ name: string; status: string; state?: string; invoices?: number; containerId?: string }>;
  taken: number;
  error?: string;
}

describe.each(BACKENDS)("inflow sources on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  const root = mkdtempSync(join(tmpdir(), "inflow-sources-cli-"));
  const drop = join(root, "drop");
  mkdirSync(drop);
  afterAll(async () => {
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it("adds a folder source, tests it without taking, polls it to Done containers, lists and removes it", async () => {
    writeFileSync(
      join(drop, "one.json"),
      [...writeJson({ seed: 1, invoices: 2, minLines: 1, maxLines: 3 })].join(""),
    );
    writeFileSync(
      join(drop, "two.json"),
      [...writeJson({ seed: 2, invoices: 3, minLines: 1, maxLines: 3 })].join(""),
    );
    writeFileSync(join(drop, "readme.txt"), "not for taking");
    const db = database.args;

    const added = await inflow([
      "sources",
      "add",
      "acme-drop",
      "--kind",
      "folder",
      "--path",
      drop,
      "--pattern",
      "*.json",
      "--after",
      "move",
      "--archive",
      "taken",
      "--schedule",
      "rate(5 minutes)",
      ...db,
    ]);
    expect(added).toMatchObject({ code: 0, stdout: "Added source acme-drop (folder) for tenant default\n" });
    expect(
      await inflow(["sources", "add", "acme-drop", "--kind", "folder", "--path", drop, ...db]),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("already has a source acme-drop"),
    });
    expect(
      await inflow(["sources", "add", "x", "--kind", "folder", "--path", drop, "--after", "move", ...db]),
    ).toMatchObject({ code: 1, stderr: expect.stringContaining("needs an archive directory") });

    const tested = await inflow(["sources", "test", "acme-drop", "--json", ...db]);
    expect(tested.code).toBe(0);
    expect((JSON.parse(tested.stdout) as Report).files.map((file) => [file.name, file.status])).toEqual([
      ["one.json", "new"],
      ["two.json", "new"],
    ]);
    expect(readdirSync(drop).sort()).toEqual(["one.json", "readme.txt", "two.json"]);

    const polled = await inflow(["sources", "poll", "acme-drop", "--json", ...db]);
    expect(polled.code).toBe(0);
    const report = JSON.parse(polled.stdout) as Report;
    expect(report.taken).toBe(2);
    expect(
      report.files.map(({ name, status, state, invoices }) => ({ name, status, state, invoices })),
    ).toEqual([
      { name: "one.json", status: "taken", state: "Done", invoices: 2 },
      { name: "two.json", status: "taken", state: "Done", invoices: 3 },
    ]);
    expect(readdirSync(drop).sort()).toEqual(["readme.txt", "taken"]);

    const again = JSON.parse(
      (await inflow(["sources", "poll", "acme-drop", "--json", ...db])).stdout,
    ) as Report;
    expect(again).toMatchObject({ taken: 0, files: [] });

    const listed = JSON.parse((await inflow(["sources", "ls", "--json", ...db])).stdout) as Array<
      Record<string, unknown>
    >;
    expect(listed).toEqual([
      expect.objectContaining({
        tenantId: "default",
        name: "acme-drop",
        kind: "folder",
        schedule: "rate(5 minutes)",
        enabled: true,
        filesTaken: 2,
        lastPollAt: expect.any(Number),
        settings: expect.objectContaining({ path: drop, pattern: "*.json", after: "move", archive: "taken" }),
      }),
    ]);
    expect(listed[0]).not.toHaveProperty("lastError");
    expect((await inflow(["sources", "ls", ...db])).stdout).toMatch(/acme-drop\s+folder/);

    expect(await inflow(["sources", "rm", "acme-drop", ...db])).toMatchObject({ code: 0 });
    expect(await inflow(["sources", "poll", "acme-drop", ...db])).toMatchObject({
      code: 1,
      stderr: "inflow: No source acme-drop for tenant default.\n",
    });
  }, 120_000);
});
