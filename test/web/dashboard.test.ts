import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import { write810, writeCsv, writeJson } from "../../src/formats/samples.js";
import { createFunctions, type Functions } from "../../src/functions/registry.js";
import type { Handler } from "../../src/functions/types.js";
import { defaultWebRoot } from "../../src/server/web.js";

/**
 * The dashboard in Debian's Chromium, over a real `inflow serve` on SQLite: the overview's counts,
 * the containers' filter and search, and a failed container's graph, fixed and redriven to Done.
 * It builds nothing: `npm run build` (run by `npm ci`) puts the dashboard in dist/web.
 */

const WEB_ROOT = defaultWebRoot(fileURLToPath(new URL("../../src/server/web.ts", import.meta.url)));
const IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const WAIT = { timeout: 15_000 };

/** What a parser outage fails parse-file with: not the error the definition retries, so ParseFile fails at once. */
class ParserUnavailable extends Error {
  override name = "Parser.Unavailable";
}

/**
 * The function registry, with parse-file failing while `outage.on`: the cause the test fixes
 * before it redrives (as an operator would bring a broken dependency back).
 */
function functionsWithParserOutage(outage: { on: boolean }): Functions {
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

const text = (lines: Iterable<string>) => [...lines].join("");

describe("the dashboard in a browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "inflow-dashboard-"));
  const outage = { on: false };
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const good: Record<string, string> = {};
  let failedId = "";
  /** Uncaught exceptions in the page: none may happen. */
  const pageErrors: string[] = [];

  async function upload(name: string, body: string): Promise<string> {
    const response = await fetch(`${server.address}/v1/files?name=${encodeURIComponent(name)}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return ((await response.json()) as { containerId: string }).containerId;
  }

  async function settled(id: string): Promise<{ state: string; error?: string }> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const container = (await (await fetch(`${server.address}/v1/containers/${id}`)).json()) as {
        state: string;
        error?: string;
      };
      if (container.state === "Done" || container.state === "Error") return container;
      if (Date.now() > deadline) throw new Error(`container ${id} is still ${container.state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    if (!existsSync(join(WEB_ROOT, "index.html"))) {
      throw new Error(`The dashboard is not built (${WEB_ROOT}/index.html is missing): run npm run build`);
    }
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    server = await startServer(
      { data: join(dir, "data"), host: "127.0.0.1", port: 0, scheduleSources: false },
      functionsWithParserOutage(outage),
    );
    // Three good files, then one uploaded while the parser is down.
    const files = {
      "acme-march.json": text(writeJson({ seed: 11, invoices: 3, minLines: 1, maxLines: 3 })),
      "globex-0412.edi": text(
        write810({
          seed: 12,
          invoices: 2,
          minLines: 1,
          maxLines: 2,
          supplier: { id: "GLOBEX", name: "Globex" },
        }),
      ),
      "initech-export.csv": text(writeCsv({ seed: 13, invoices: 4, minLines: 1, maxLines: 2 })),
    };
    for (const [name, body] of Object.entries(files)) good[name] = await upload(name, body);
    for (const id of Object.values(good)) expect((await settled(id)).state).toBe("Done");
    outage.on = true;
    failedId = await upload(
      "umbrella-late.json",
      text(writeJson({ seed: 14, invoices: 2, minLines: 1, maxLines: 2 })),
    );
    expect(await settled(failedId)).toMatchObject({
      state: "Error",
      error: expect.stringContaining("Parser.Unavailable"),
    });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    mkdirSync(IMAGES, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the counts by state and the latest failed container on the overview", async () => {
    await page.goto(`${server.address}/`);
    const value = (state: string) => page.getByTestId(`count-${state}`).locator(".tile-value");
    await expect.poll(() => value("Done").textContent(), WAIT).toBe("3");
    expect(await value("Error").textContent()).toBe("1");
    expect(await value("New").textContent()).toBe("0");
    expect(await page.getByTestId("invoices-today").locator(".tile-value").textContent()).toBe("9");
    const failed = page.getByTestId("latest-failed");
    await failed.getByRole("link", { name: "umbrella-late.json" }).waitFor(WAIT);
    expect(await failed.textContent()).toContain("Parser.Unavailable");
    await page.screenshot({ path: join(IMAGES, "dashboard-overview.png") });
  }, 90_000);

  it("lists failed first, filters by state, searches by name and pages with the cursor", async () => {
    await page.goto(`${server.address}/containers?limit=2`);
    const rows = page.getByTestId("container-row");
    await expect.poll(() => rows.count(), WAIT).toBe(2);
    expect(await rows.first().getAttribute("data-state")).toBe("Error");
    await page.getByTestId("load-more").click();
    await expect.poll(() => rows.count(), WAIT).toBe(4);
    expect(await page.getByTestId("load-more").count()).toBe(0);

    await page.getByTestId("state-filter").selectOption("Done");
    await expect
      .poll(() => rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-state"))), WAIT)
      .toEqual(["Done", "Done"]);
    await page.getByTestId("state-filter").selectOption("Error");
    await expect
      .poll(() => rows.allTextContents(), WAIT)
      .toEqual([expect.stringContaining("umbrella-late.json")]);

    await page.getByTestId("state-filter").selectOption("all");
    await page.getByTestId("name-search").fill("GLOBEX");
    await expect
      .poll(() => rows.allTextContents(), WAIT)
      .toEqual([expect.stringContaining("globex-0412.edi")]);
    expect(new URL(page.url()).searchParams.get("q")).toBe("GLOBEX");
  }, 90_000);

  it("marks the failed state in a failed container's graph, and a redrive once the cause is fixed turns it Done", async () => {
    await page.goto(`${server.address}/containers?state=Error`);
    await page.getByRole("link", { name: "umbrella-late.json" }).click();
    await page.waitForURL(`**/containers/${failedId}`);
    await page.getByTestId("container-error").getByText("Parser.Unavailable").waitFor(WAIT);

    const state = (name: string) => page.getByTestId(`state-${name}`);
    await page.locator('[data-testid="state-ParseFile"][data-status="failed"]').waitFor(WAIT);
    expect(await state("SetFileAsProcessing").getAttribute("data-status")).toBe("succeeded");
    expect(await state("CreateInvoices").getAttribute("data-status")).toBe("notReached");
    expect(await state("Done").getAttribute("data-status")).toBe("notReached");
    expect(await page.getByTestId("execution-status").getAttribute("data-status")).toBe("FAILED");

    // A click on the failed state shows its error and its input.
    await state("ParseFile").click();
    const panel = page.getByTestId("state-panel");
    await panel.getByTestId("state-error").getByText("Parser.Unavailable").waitFor(WAIT);
    expect(await panel.getByTestId("state-error").textContent()).toContain(
      "the parser is down for maintenance",
    );
    expect(await panel.getByTestId("state-input").textContent()).toContain(failedId);

    // The history's failures only.
    await page.getByTestId("failures-only").check();
    const historyTypes = page.getByTestId("history-table").locator("tbody tr td:nth-child(3)");
    await expect
      .poll(
        async () =>
          (await historyTypes.allTextContents()).every((type) => /Failed|TimedOut|Aborted/.test(type)),
        WAIT,
      )
      .toBe(true);
    expect(await historyTypes.allTextContents()).toContain("ExecutionFailed");
    await page.screenshot({ path: join(IMAGES, "dashboard-container.png"), fullPage: true });

    // Fix the cause, redrive, and watch it turn Done.
    outage.on = false;
    await page.getByTestId("redrive").click();
    await page.getByTestId("action-message").getByText("Redrive started").waitFor(WAIT);
    await page.locator('header [data-testid="container-state"]', { hasText: "Done" }).waitFor(WAIT);
    await page.locator('[data-testid="state-Done"][data-status="succeeded"]').waitFor(WAIT);
    expect(await state("ParseFile").getAttribute("data-status")).toBe("succeeded");
    expect(await page.getByTestId("iterations-CreateInvoices").textContent()).toBe("1/1 iterations");
    await expect.poll(() => page.getByTestId("invoice-row").count(), WAIT).toBe(2);
    expect(await page.getByTestId("redrive").isDisabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
