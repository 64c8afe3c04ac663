import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { createFunctions, type Functions } from "../../src/functions/registry.js";
import type { Handler } from "../../src/functions/types.js";
import { defaultWebRoot } from "../../src/server/web.js";

/**
 * Driving the dashboard in a browser: a real `inflow serve` on SQLite in a temporary folder, and
 * Debian's Chromium on it (playwright-core). It builds nothing: `npm run build` (run by `npm ci`)
 * puts the dashboard in dist/web.
 */

const WEB_ROOT = defaultWebRoot(fileURLToPath(new URL("../../src/server/web.ts", import.meta.url)));
const CHROMIUM = "/usr/bin/chromium";

/** Where the tests' screenshots go, for docs/dashboard.md. */
export const IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));

/** How long a page may take to show what is awaited. */
export const WAIT = { timeout: 15_000 };

/** A sample writer's lines as one file's text. */
export const text = (lines: Iterable<string>) => [...lines].join("");

/** What a parser outage fails parse-file with: not the error the definition retries, so ParseFile fails at once. */
class ParserUnavailable extends Error {
  override name = "Parser.Unavailable";
}

/**
 * The function registry, with parse-file failing while `outage.on`: a cause a test fixes before it
 * redrives (as an operator would bring a broken dependency back).
 */
export function functionsWithParserOutage(outage: { on: boolean }): Functions {
  const functions = createFunctions();
  return {
    ...functions,
    register(name, handler, options) {
      const gated: Handler = (event, context) => {
        if (outage.on) throw new ParserUnavailable("the parser is down for maintenance");
        return handler(event, context);
      };
      functions.register(name, name === "parse-file" ? gated : handler, options);
    },
  };
}

/** The supplier filter's option for `name`, once the suppliers are listed: its value (the supplier's id). */
export async function supplierOption(page: Page, name: string): Promise<string> {
  const option = page.getByTestId("supplier-filter").locator("option", { hasText: name });
  await option.waitFor({ state: "attached", ...WAIT });
  return (await option.getAttribute("value"))!;
}

export interface Dashboard {
  /** The temporary folder: the server's data, and whatever else the test puts there. */
  dir: string;
  server: RunningServer;
  browser: Browser;
  /** One page, 1400×1000. */
  page: Page;
  /** Uncaught exceptions in the page: none may happen. */
  pageErrors: string[];
  /** A `/v1` call that must succeed: its JSON answer. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Uploads a file (`POST /v1/files`, from `source` when given): its container's id. */
  upload(name: string, body: string, source?: string): Promise<string>;
  /** Waits for a container to be Done or in Error (20 seconds at most): it then. */
  settled(id: string): Promise<{ state: string; error?: string }>;
  close(): Promise<void>;
}

/** Starts the server (with `functions`, else the usual registry) and a browser page on it; `close` ends both. */
export async function startDashboard(
  options: { prefix: string; functions?: Functions | undefined } = { prefix: "inflow-web-" },
): Promise<Dashboard> {
  if (!existsSync(join(WEB_ROOT, "index.html"))) {
    throw new Error(`The dashboard is not built (${WEB_ROOT}/index.html is missing): run npm run build`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    server = await startServer(
      { data: join(dir, "data"), host: "127.0.0.1", port: 0, scheduleSources: false },
      options.functions,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    mkdirSync(IMAGES, { recursive: true });
    const address = server.address;

    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${address}${path}`, {
        method,
        ...(body !== undefined
          ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
          : {}),
      });
      const answer = await response.text();
      expect(response.ok, `${method} ${path}: ${answer}`).toBe(true);
      return (answer ? JSON.parse(answer) : undefined) as T;
    };

    const upload = async (name: string, body: string, source?: string): Promise<string> => {
      const query = `name=${encodeURIComponent(name)}${source ? `&source=${source}` : ""}`;
      const response = await fetch(`${address}/v1/files?${query}`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body,
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return ((await response.json()) as { containerId: string }).containerId;
    };

    const settled = async (id: string): Promise<{ state: string; error?: string }> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const container = await api<{ state: string; error?: string }>("GET", `/v1/containers/${id}`);
        if (container.state === "Done" || container.state === "Error") return container;
        if (Date.now() > deadline) throw new Error(`container ${id} is still ${container.state}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    return { dir, server, browser, page, pageErrors, api, upload, settled, close };
  } catch (error) {
    await close();
    throw error;
  }
}
