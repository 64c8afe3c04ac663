/** Writes the `## Formats` section of docs/benchmarks.md, leaving every other section as it is. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const INTRO = `# Benchmarks

Inflow's benchmarks against peers, kept apart from the tests (\`npm test\` never runs them).
Run them all with \`npm run bench\`, or one suite with \`npm run bench -- <suite>\`. Each section
says the exact command, the machine and the date of its numbers.
`;

export function writeSection(file: string, section: string): void {
  const lines = (existsSync(file) ? readFileSync(file, "utf8") : INTRO).split("\n");
  const start = lines.findIndex((line) => line.trim() === "## Formats");
  const body = section.trimEnd().split("\n");
  let next: string[];
  if (start < 0) {
    while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
    next = [...lines, "", ...body, ""];
  } else {
    let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
    if (end < 0) end = lines.length;
    const after = lines.slice(end);
    next = [...lines.slice(0, start), ...body, ...(after.length > 0 ? ["", ...after] : [""])];
  }
  writeFileSync(file, next.join("\n"));
}
