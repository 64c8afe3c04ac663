import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/cli/commands/serve.js";
import { writeJson } from "../../src/formats/samples.js";
import { type Dashboard, IMAGES, startDashboard, supplierOption, text, WAIT } from "../support/browser.js";

/**
 * The overview's numbers, throughput and sources health, the invoices and an invoice, and the
 * sources page polling a folder now, in Debian's Chromium over a real `inflow serve` on SQLite.
 */

interface InvoiceSummary {
  id: string;
  number: string;
  containerId: string;
  supplier: string;
  file: string;
  duplicateOf?: string;
}

describe("the dashboard's overview, invoices and sources pages", () => {
  let dashboard: Dashboard;
  let server: RunningServer;
  let page: Page;
  let invoices: InvoiceSummary[] = [];

  beforeAll(async () => {
    dashboard = await startDashboard({ prefix: "inflow-pages-" });
    ({ server, page } = dashboard);
    const { api, upload, settled, dir } = dashboard;
    const done = async (id: string) => expect((await settled(id)).state).toBe("Done");
    const drop = join(dir, "drop");
    const files = {
      "acme-april.json": text(
        writeJson({
          seed: 21,
          invoices: 3,
          minLines: 2,
          maxLines: 4,
          supplier: { id: "ACME", name: "Acme" },
        }),
      ),
      "globex-april.json": text(
        writeJson({
          seed: 22,
          invoices: 2,
          minLines: 1,
          maxLines: 3,
          supplier: { id: "GLOBEX", name: "Globex" },
        }),
      ),
    };
    for (const [name, body] of Object.entries(files)) await done(await upload(name, body));
    // Globex's file sent again (other bytes, the same invoices): its two invoices are duplicates.
    await done(await upload("globex-april-again.json", `${files["globex-april.json"]}\n`));
    invoices = (await api<{ invoices: InvoiceSummary[] }>("GET", "/v1/invoices")).invoices;
    expect(invoices).toHaveLength(7);

    // A drop folder holding one file, and a folder that does not exist (its poll fails).
    mkdirSync(drop);
    writeFileSync(
      join(drop, "initech-drop.json"),
      text(
        writeJson({
          seed: 23,
          invoices: 1,
          minLines: 1,
          maxLines: 2,
          supplier: { id: "INITECH", name: "Initech" },
        }),
      ),
    );
    await api("POST", "/v1/sources", { name: "initech-drop", kind: "folder", settings: { path: drop } });
    await api("POST", "/v1/sources", {
      name: "lost-share",
      kind: "folder",
      settings: { path: join(dir, "missing") },
      schedule: "rate(5 minutes)",
    });
    const failed = await api<{ error?: string }>("POST", "/v1/sources/lost-share/poll");
    expect(failed.error).toBeTruthy();
  }, 60_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  it("shows the counts, today's throughput and the failing source on the overview", async () => {
    await page.goto(`${server.address}/`);
    const value = (testId: string) => page.getByTestId(testId).locator(".tile-value");
    await expect.poll(() => value("count-Done").textContent(), WAIT).toBe("3");
    expect(await value("count-Error").textContent()).toBe("0");
    expect(await value("files-today").textContent()).toBe("3");
    expect(await value("invoices-today").textContent()).toBe("7");
    expect(await page.getByTestId("throughput").getByRole("img").getAttribute("aria-label")).toBe(
      "3 files and 7 invoices in the last 24 hours",
    );
    expect(await page.getByTestId("throughput").locator("rect.bar-files").count()).toBe(24);

    const health = page.getByTestId("sources-health");
    const lost = health.locator('[data-source="lost-share"]');
    await lost.waitFor(WAIT);
    expect(await lost.getByTestId("health-error").textContent()).not.toBe("");
    expect(await health.locator('[data-source="initech-drop"]').textContent()).toContain("never");
    await health.getByRole("link", { name: "lost-share" }).click();
    await page.waitForURL("**/sources#lost-share");
    await page.getByTestId("sources-table").waitFor(WAIT);
  }, 30_000);

  it("lists invoices, narrows them by supplier and number, and opens one with its lines, checks and container", async () => {
    await page.goto(`${server.address}/invoices`);
    const rows = page.getByTestId("invoice-row");
    await expect.poll(() => rows.count(), WAIT).toBe(7);
    const exportHref = await page.getByTestId("export-csv").getAttribute("href");
    expect(exportHref).toBe("/v1/invoices/export?format=csv");

    // By supplier: Globex's two.
    const globex = await supplierOption(page, "Globex");
    await page.getByTestId("supplier-filter").selectOption(globex);
    await expect.poll(() => rows.count(), WAIT).toBe(4);
    await page.getByTestId("duplicates-filter").selectOption("exclude");
    await expect.poll(() => rows.count(), WAIT).toBe(2);
    expect(new URL(page.url()).searchParams.get("supplier")).toBe(globex);
    expect(await page.getByTestId("export-csv").getAttribute("href")).toBe(
      `/v1/invoices/export?format=csv&supplier=${globex}&duplicates=exclude`,
    );
    const csv = await (
      await fetch(`${server.address}${await page.getByTestId("export-csv").getAttribute("href")}`)
    ).text();
    expect(csv.trim().split("\r\n")).toHaveLength(3);

    // Only the duplicates: one opens with a link to the invoice it duplicates.
    await page.getByTestId("duplicates-filter").selectOption("only");
    await expect.poll(() => rows.count(), WAIT).toBe(2);
    const duplicate = invoices.find((invoice) => invoice.duplicateOf !== undefined)!;
    await page.getByTestId("invoices-table").getByRole("link", { name: duplicate.number }).click();
    await page.waitForURL(`**/invoices/${duplicate.id}`);
    expect(await page.getByTestId("check-duplicate").textContent()).toBe("duplicate");
    await page.getByTestId("duplicate-of").click();
    await page.waitForURL(`**/invoices/${duplicate.duplicateOf}`);
    await page.getByTestId("invoice-number").getByText(duplicate.number).waitFor(WAIT);
    expect(await page.getByTestId("check-duplicate").textContent()).toBe("not a duplicate");

    // By number (exact), across suppliers.
    await page.goto(`${server.address}/invoices`);
    await expect.poll(() => rows.count(), WAIT).toBe(7);
    const wanted = invoices.find((invoice) => invoice.supplier === "Acme")!;
    await page.getByTestId("number-search").fill(wanted.number);
    await expect
      .poll(() => rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-number"))), WAIT)
      .toEqual(
        invoices.filter((invoice) => invoice.number === wanted.number).map((invoice) => invoice.number),
      );

    // The invoice: facts, lines and checks; then its container.
    await rows.first().getByRole("link", { name: wanted.number }).click();
    await page.waitForURL(/\/invoices\/i_/);
    await page.getByTestId("invoice-number").getByText(wanted.number).waitFor(WAIT);
    expect(await page.getByTestId("line-row").count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId("check-totals").textContent()).toMatch(/totals (ok|mismatch)/);
    expect(await page.getByTestId("check-supplier").textContent()).toMatch(/supplier (matched|created)/);
    expect(await page.getByTestId("check-duplicate").textContent()).toBe("not a duplicate");
    await page.screenshot({ path: join(IMAGES, "dashboard-invoice.png"), fullPage: true });

    const opened = page.url();
    const invoiceId = opened.split("/").pop()!;
    const detail = invoices.find((invoice) => invoice.id === invoiceId)!;
    await page.getByTestId("container-link").click();
    await page.waitForURL(`**/containers/${detail.containerId}`);
    await page.getByTestId("container-name").getByText(detail.file).waitFor(WAIT);

    // Back from the container's invoice list to an invoice.
    await page.getByTestId("invoices").getByRole("link", { name: wanted.number }).first().click();
    await page.waitForURL(/\/invoices\/i_/);
    await page.getByTestId("lines-table").waitFor(WAIT);
  }, 30_000);

  it("shows the sources with their errors, and polls the drop folder now", async () => {
    await page.goto(`${server.address}/sources`);
    const row = (name: string) => page.locator(`[data-testid="source-row"][data-source="${name}"]`);
    await row("initech-drop").waitFor(WAIT);
    expect(await page.getByTestId("source-row").count()).toBe(2);
    expect(await row("lost-share").getByTestId("last-error").textContent()).not.toBe("");
    expect(await row("lost-share").textContent()).toContain("rate(5 minutes)");
    expect(await row("initech-drop").textContent()).toContain("on demand");
    expect(await row("initech-drop").getByTestId("files-taken").textContent()).toBe("0");
    expect(await row("initech-drop").getByTestId("last-poll").textContent()).toBe("never");

    await row("initech-drop").getByTestId("poll-now").click();
    await row("initech-drop").getByTestId("poll-result").getByText("taken 1").waitFor(WAIT);
    await expect.poll(() => row("initech-drop").getByTestId("files-taken").textContent(), WAIT).toBe("1");
    expect(await row("initech-drop").getByTestId("last-poll").textContent()).toMatch(/s ago$/);
    expect(await row("initech-drop").getByTestId("last-error").textContent()).toBe("");
    await page.screenshot({ path: join(IMAGES, "dashboard-sources.png") });

    // The file it took is a container, linked from the result.
    await row("initech-drop")
      .getByTestId("poll-result")
      .getByRole("link", { name: "initech-drop.json" })
      .click();
    await page.waitForURL(/\/containers\/c_/);
    expect(dashboard.pageErrors).toEqual([]);
  }, 30_000);
});
