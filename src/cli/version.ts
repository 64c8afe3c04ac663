import { createRequire } from "node:module";

/** The package version; `package.json` sits two levels up from both `src/cli` and `dist/cli`. */
export function packageVersion(): string {
  const manifest = createRequire(import.meta.url)("../../package.json") as { version: string };
  return manifest.version;
}
