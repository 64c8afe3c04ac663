// tsc compiles TypeScript only; SQL migrations ship beside the compiled store.
import { chmodSync, cpSync } from "node:fs";

cpSync("src/store/migrations", "dist/store/migrations", { recursive: true });
chmodSync("dist/cli/main.js", 0o755);
