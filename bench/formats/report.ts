/** Writes the `## Formats` section of docs/benchmarks.md, leaving every other section as it is. */
import { writeDocsSection } from "../docs-section.js";

export function writeSection(file: string, section: string): void {
  writeDocsSection(file, "## Formats", section);
}
