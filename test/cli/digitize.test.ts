import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseAll } from "../../src/formats/parse.js";
import { writeCsv, writeJson } from "../../src/formats/samples.js";
import { corpusFiles } from "../formats/corpus.js";

const run = promisify(execFile);

interface Report {
  containers: Array<{ id: string | null; file: string; state: string; invoices: number; error?: string }>;
  summary: { files: number; done: number; error: number; invoices: number };
}

/** `inflow digitize ... --json` as a user runs it: its report and exit code. */
async function digitize(args: string[]): Promise<{ report: Report; code: number }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "digitize", ...args, "--json"],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return { report: JSON.parse(stdout) as Report, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; code: number };
    return { report: JSON.parse(failed.stdout) as Report, code: failed.code };
  }
}

describe("inflow digitize", () => {
  const dir = mkdtempSync(join(tmpdir(), "inflow-digitize-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("digitizes every 810 and INVOIC of the corpus and generated CSV and JSON to Done, with the counts inflow parse reports", async () => {
    const files = [
      ...corpusFiles("x12-810"),
      ...corpusFiles("edifact-invoic"),
      ...[1, 2, 3].map((seed) => {
        const path = join(dir, `supplier-${seed}.csv`);
        writeFileSync(path, [...writeCsv({ seed, invoices: seed * 2, minLines: 2, maxLines: 6 })].join(""));
        return path;
      }),
      ...[4, 5].map((seed) => {
        const path = join(dir, `supplier-${seed}.json`);
        writeFileSync(path, [...writeJson({ seed, invoices: seed, minLines: 2, maxLines: 6 })].join(""));
        return path;
      }),
    ];
    expect(files.length).toBeGreaterThan(10);
    const { report, code } = await digitize([...files, "--data", join(dir, "data")]);

    const expected = await Promise.all(
      files.map(async (file) => ({
        file,
        state: "Done",
        invoices: (await parseAll(readFileSync(file), { file })).invoices.length,
      })),
    );
    expect(report.containers.map(({ file, state, invoices }) => ({ file, state, invoices }))).toEqual(
      expected,
    );
    expect(report.summary).toMatchObject({ files: files.length, done: files.length, error: 0 });
    expect(code).toBe(0);
  }, 120_000);

  it("reports a file it cannot digitize as Error with the reason, takes a directory, and exits 1", async () => {
    const inbox = join(dir, "inbox");
    mkdirSync(inbox);
    writeFileSync(join(inbox, "empty.edi"), "");
    writeFileSync(join(inbox, "letter.txt"), "Dear supplier,\nplease find our invoice enclosed.\n");
    writeFileSync(
      join(inbox, "ok.json"),
      [...writeJson({ seed: 9, invoices: 2, minLines: 1, maxLines: 2 })].join(""),
    );
    const { report, code } = await digitize([inbox, "--data", join(dir, "data-inbox")]);
    expect(code).toBe(1);
    expect(report.containers).toEqual([
      { id: null, file: join(inbox, "empty.edi"), state: "Error", invoices: 0, error: "The file is empty." },
      {
        id: expect.stringMatching(/^c_/),
        file: join(inbox, "letter.txt"),
        state: "Error",
        invoices: 0,
        error: expect.stringMatching(/^letter\.txt: line 1: fatal /),
      },
      { id: expect.stringMatching(/^c_/), file: join(inbox, "ok.json"), state: "Done", invoices: 2 },
    ]);
  }, 60_000);
});
