import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints, after the default reporter, how many tests ran on each storage backend (suites are
 * named "... on sqlite" / "... on postgres"), so a run shows that PostgreSQL was exercised and
 * not skipped, and ends with one plain "tests: N passed, N failed" line.
 */
export default class BackendReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const tally = new Map<string, { passed: number; failed: number; skipped: number }>();
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        const backend = /\bon (sqlite|postgres)\b/.exec(test.fullName)?.[1] ?? "no database";
        const counts = tally.get(backend) ?? { passed: 0, failed: 0, skipped: 0 };
        if (state === "passed") {
          counts.passed++;
          passed++;
        } else if (state === "failed") {
          counts.failed++;
          failed++;
        } else {
          counts.skipped++;
          skipped++;
        }
        tally.set(backend, counts);
      }
    }
    const lines = [...tally].map(
      ([backend, counts]) =>
        `  ${backend.padEnd(12)} ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
    );
    process.stdout.write(`\nTests per backend:\n${lines.join("\n")}\n`);
    process.stdout.write(
      `tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
    );
  }
}
