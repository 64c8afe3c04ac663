import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/cli/commands/serve.js";
import { write810, writeCsv, writeJson } from "../../src/formats/samples.js";
import {
  type Dashboard,
  functionsWithParserOutage,
  IMAGES,
  startDashboard,
  text,
  WAIT,
} from "../support/browser.js";

/**
 * The dashboard in Debian's Chromium, over a real `inflow serve` on SQLite: the overview's counts,
 * the containers' filter and search, a failed container's graph, fixed and redriven to Done, and
 * the iterations of its distributed Map opened.
 */

describe("the dashboard in a browser", () => {
  const outage = { on: false };
  let dashboard: Dashboard;
  let server: RunningServer;
  let page: Page;
  const good: Record<string, string> = {};
  let failedId = "";

  beforeAll(async () => {
    dashboard = await startDashboard({
      prefix: "inflow-dashboard-",
      functions: functionsWithParserOutage(outage),
    });
    ({ server, page } = dashboard);
    const { upload, settled } = dashboard;
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
  }, 90_000);

  afterAll(async () => {
    await dashboard?.close();
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
    expect(dashboard.pageErrors).toEqual([]);
  }, 90_000);

  it("lists a distributed Map's iterations in its panel, opens one as its own graph and goes back", async () => {
    const id = good["acme-march.json"]!;
    await page.goto(`${server.address}/containers/${id}`);
    const state = (name: string) => page.getByTestId(`state-${name}`);
    await page.locator('[data-testid="state-CreateInvoices"][data-status="succeeded"]').waitFor(WAIT);

    // The Map's panel lists its one iteration (three invoices are one chunk), succeeded.
    await state("CreateInvoices").click();
    const iterations = page.getByTestId("state-panel").getByTestId("map-iterations");
    const row = iterations.getByTestId("iteration-row");
    await expect.poll(() => row.count(), WAIT).toBe(1);
    expect(await row.getAttribute("data-status")).toBe("SUCCEEDED");
    const name = (await row.getAttribute("data-name"))!;
    await iterations.getByTestId("iterations-failed-only").check();
    await iterations.getByTestId("iterations-empty").waitFor(WAIT);
    expect(await row.count()).toBe(0);
    await iterations.getByTestId("iterations-failed-only").uncheck();

    // Opened: the ItemProcessor's graph, coloured by the iteration, and its own history.
    await row.getByTestId("open-iteration").click();
    await page.waitForURL(/[?&]iteration=/);
    const iterationUrl = page.url();
    await page.locator('[data-testid="state-CreateChunk"][data-status="succeeded"]').waitFor(WAIT);
    expect(await page.getByTestId("iterations-CreateChunk").textContent()).toBe("3/3 iterations");
    expect(await state("ParseFile").count()).toBe(0);
    const breadcrumb = page.getByTestId("execution-breadcrumb");
    await breadcrumb.getByTestId("breadcrumb-iteration").getByText(name).waitFor(WAIT);
    expect(await breadcrumb.textContent()).toBe(`Execution › CreateInvoices › ${name}`);
    expect(await page.getByTestId("execution-status").getAttribute("data-status")).toBe("SUCCEEDED");
    const history = page.locator('[data-testid="history-table"]:not([data-iteration=""])');
    await history.waitFor(WAIT);
    const types = await history.locator("tbody tr td:nth-child(3)").allTextContents();
    expect(types).toContain("MapIterationSucceeded");
    expect(types).not.toContain("MapRunStarted");
    await page.screenshot({ path: join(IMAGES, "dashboard-iteration.png"), fullPage: true });

    // Back to the execution, then the link opens the iteration directly.
    await breadcrumb.getByTestId("breadcrumb-execution").click();
    await page.waitForURL(`**/containers/${id}`);
    await state("ParseFile").waitFor(WAIT);
    expect(await page.getByTestId("execution-breadcrumb").count()).toBe(0);
    await page.goto(iterationUrl);
    await page.locator('[data-testid="state-CreateChunk"][data-status="succeeded"]').waitFor(WAIT);

    // The Map's crumb goes back with its panel open.
    await page.getByTestId("breadcrumb-map").click();
    await page.waitForURL(`**/containers/${id}`);
    await page.getByTestId("state-panel").getByTestId("iteration-row").first().waitFor(WAIT);
    expect(await page.getByTestId("state-panel").locator("h3").textContent()).toBe("CreateInvoices");
    expect(dashboard.pageErrors).toEqual([]);
  }, 90_000);
});
