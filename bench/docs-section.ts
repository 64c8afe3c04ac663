import { existsSync, readFileSync, writeFileSync } from "node:fs";

const INTRO = `# Benchmarks

Inflow's benchmarks against peers, kept apart from the tests (\`npm test\` never runs them).
Run them all with \`npm run bench\`, or one suite with \`npm run bench -- <suite>\`. Each section
says the exact command, the machine and the date of its numbers.
`;

/**
 * Replaces the section of `file` that starts with `heading` (a `## ` line) up to the next one,
 * or appends it, leaving every other section as it is. Each suite writes only its own.
 */
export function writeDocsSection(file: string, heading: string, section: string): void {
  const lines = (existsSync(file) ? readFileSync(file, "utf8") : INTRO).split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  const body = section.trimEnd().split("\n");
  let next: string[];
  if (start < 0) {
    while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
    next = [...lines, "", ...body, ""];
  } else {
    let end = lines.findIndex((line, index) => index > start && /^## /.test(line));
    if (end < 0) end = lines.length;
    const after = lines.slice(end);
    next = [...lines.slice(0, start), ...body, ...(after.length > 0 ? ["", ...after] : [""])];
  }
  writeFileSync(file, next.join("\n"));
}
