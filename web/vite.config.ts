import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard: built into dist/web, which `inflow serve` serves at `/` (src/server/web.ts).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2_000,
  },
  server: {
    // `npx vite --config web/vite.config.ts` next to `inflow serve` on its default port.
    proxy: { "/v1": "http://127.0.0.1:4566" },
  },
});
