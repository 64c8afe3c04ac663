import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/cli/commands/serve.js";
import { write810, writeJson } from "../../src/formats/samples.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import {
  type Dashboard,
  functionsWithParserOutage,
  IMAGES,
  startDashboard,
  supplierOption,
  text,
  WAIT,
} from "../support/browser.js";

/**
 * The operator's pages in Debian's Chromium over a real `inflow serve` on SQLite: the queues (a
 * dead-letter queue peeked and redriven), the overview's dead-letter queues, every execution
 * failed first, and the containers' filters by source, supplier and invoice number.
 */

describe("the dashboard's queues, executions and container filters", () => {
  const outage = { on: false };
  let dashboard: Dashboard;
  let server: RunningServer;
  /** The same database's queues, as another process would see them. */
  let queues: Queues;
  let page: Page;
  const ids: Record<string, string> = {};
  let failedId = "";
  let globexNumber = "";

  beforeAll(async () => {
    dashboard = await startDashboard({
      prefix: "inflow-operations-",
      functions: functionsWithParserOutage(outage),
    });
    ({ server, page } = dashboard);
    const { upload, settled } = dashboard;
    queues = createQueues(server.store);

    // Two good files (one sent through the API, one uploaded), then one while the parser is down.
    ids.acme = await upload(
      "acme-may.json",
      text(
        writeJson({
          seed: 31,
          invoices: 2,
          minLines: 1,
          maxLines: 2,
          supplier: { id: "ACME", name: "Acme" },
        }),
      ),
      "api",
    );
    ids.globex = await upload(
      "globex-may.edi",
      text(
        write810({
          seed: 32,
          invoices: 2,
          minLines: 1,
          maxLines: 2,
          supplier: { id: "GLOBEX", name: "Globex" },
        }),
      ),
    );
    for (const id of Object.values(ids)) expect((await settled(id)).state).toBe("Done");
    outage.on = true;
    failedId = await upload(
      "umbrella-may.json",
      text(writeJson({ seed: 33, invoices: 1, minLines: 1, maxLines: 1 })),
    );
    expect((await settled(failedId)).state).toBe("Error");
    const listed = (await (await fetch(`${server.address}/v1/invoices?container=${ids.globex}`)).json()) as {
      invoices: { number: string }[];
    };
    globexNumber = listed.invoices[0]!.number;

    // A queue whose two messages, received twice and never deleted, went to its dead-letter queue.
    const dlq = await queues.createQueue("work-dlq");
    await queues.createQueue("work", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    await queues.sendMessage("work", { body: JSON.stringify({ containerId: "c_example", attempt: 1 }) });
    await queues.sendMessage("work", { body: "dead 2" });
    for (let i = 0; i < 2; i++) {
      await queues.receiveMessage("work", {
        maxNumberOfMessages: 10,
        visibilityTimeout: 0,
        waitTimeSeconds: 0,
      });
    }
  }, 90_000);

  afterAll(async () => {
    await queues?.close();
    await dashboard?.close();
  });

  it("lists the dead-letter queue with messages on the overview", async () => {
    await page.goto(`${server.address}/`);
    const row = page.locator('[data-testid="dlq-row"][data-queue="work-dlq"]');
    await row.waitFor(WAIT);
    expect(await row.getByTestId("dlq-depth").textContent()).toBe("2 messages");
    expect(await row.textContent()).toContain("fed by work");
    // Only those holding messages: the pipeline's empty dead-letter queues are not listed.
    expect(await page.getByTestId("dlq-row").count()).toBe(1);
    await row.getByRole("link", { name: "work-dlq" }).click();
    await page.waitForURL("**/queues");
  }, 60_000);

  it("shows every queue's depths, peeks at a dead-letter queue and redrives it", async () => {
    await page.goto(`${server.address}/queues`);
    const queue = (name: string) => page.locator(`[data-testid="queue-row"][data-queue="${name}"]`);
    await queue("work-dlq").waitFor(WAIT);
    const visible = (name: string) => queue(name).getByTestId("visible").textContent();
    await expect.poll(() => visible("work-dlq"), WAIT).toBe("2");
    expect(await queue("work-dlq").getAttribute("data-dlq")).toBe("true");
    expect(await queue("work-dlq").getByTestId("fed-by").textContent()).toBe("work");
    expect(await queue("work-dlq").getByTestId("visible").getAttribute("class")).toContain("dlq-depth");
    expect(await visible("work")).toBe("0");
    expect(await queue("work").getByTestId("dead-letter-queue").textContent()).toContain("work-dlq");
    expect(await queue("work").getByTestId("dead-letter-queue").textContent()).toContain("after 1 receive");
    // The pipeline's own queues are there, each with its dead-letter queue.
    expect(await queue("process-file").getByTestId("dead-letter-queue").textContent()).toContain(
      "process-file-dlq",
    );
    expect(await queue("work").getByTestId("redrive").count()).toBe(0);

    await queue("work-dlq").getByTestId("peek").click();
    const panel = page.locator('[data-testid="peek-panel"][data-queue="work-dlq"]');
    await panel.getByTestId("message-row").nth(1).waitFor(WAIT);
    expect(await panel.getByTestId("peek-warning").textContent()).toContain("counts as a receive");
    const bodies = await panel.getByTestId("message-body").allTextContents();
    expect(bodies).toHaveLength(2);
    expect(bodies).toContain("dead 2");
    // A JSON body is pretty-printed.
    expect(bodies).toContain(JSON.stringify({ containerId: "c_example", attempt: 1 }, null, 2));
    // Visible again after the peek.
    await expect.poll(() => visible("work-dlq"), WAIT).toBe("2");
    await page.screenshot({ path: join(IMAGES, "dashboard-queues.png"), fullPage: true });

    page.once("dialog", (dialog) => void dialog.accept());
    await queue("work-dlq").getByTestId("redrive").click();
    await queue("work-dlq").getByTestId("redrive-result").getByText("Redrive started").waitFor(WAIT);
    await expect.poll(() => visible("work-dlq"), WAIT).toBe("0");
    await expect.poll(() => visible("work"), WAIT).toBe("2");
    expect(await queue("work-dlq").getByTestId("redrive").isDisabled()).toBe(true);
  }, 60_000);

  it("lists the executions failed first, linking to their container", async () => {
    await page.goto(`${server.address}/executions`);
    const rows = page.getByTestId("execution-row");
    await expect.poll(() => rows.count(), WAIT).toBeGreaterThanOrEqual(3);
    const first = rows.first();
    expect(await first.getAttribute("data-status")).toBe("FAILED");
    expect(await first.getAttribute("data-name")).toBe(failedId);
    expect(await first.getByTestId("execution-error").textContent()).toContain("Parser.Unavailable");
    expect(await first.getByTestId("redrive-execution").count()).toBe(1);
    await page.screenshot({ path: join(IMAGES, "dashboard-executions.png") });
    const succeeded = page.locator('[data-testid="execution-row"][data-status="SUCCEEDED"]');
    expect(await succeeded.count()).toBeGreaterThanOrEqual(2);
    expect(await succeeded.first().getByTestId("redrive-execution").count()).toBe(0);

    // The status filter, in the address.
    await page.getByTestId("status-filter").selectOption("SUCCEEDED");
    await expect
      .poll(() => rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-status"))), WAIT)
      .not.toContain("FAILED");
    expect(new URL(page.url()).searchParams.get("status")).toBe("SUCCEEDED");
    await page.getByTestId("status-filter").selectOption("");
    await expect.poll(() => rows.first().getAttribute("data-status"), WAIT).toBe("FAILED");

    await rows.first().getByTestId("execution-container").click();
    await page.waitForURL(`**/containers/${failedId}`);
    await page.getByTestId("container-error").getByText("Parser.Unavailable").waitFor(WAIT);

    // The parser back, the failed execution redriven from the Executions page goes on to succeed.
    outage.on = false;
    await page.goto(`${server.address}/executions`);
    const failed = page.locator(`[data-testid="execution-row"][data-name="${failedId}"]`);
    expect(await failed.getByTestId("execution-error").textContent()).toContain(
      "the parser is down for maintenance",
    );
    await failed.getByTestId("redrive-execution").click();
    await failed.getByTestId("redrive-result").getByText("Redrive started").waitFor(WAIT);
    await expect.poll(() => failed.getAttribute("data-status"), WAIT).toBe("SUCCEEDED");
    expect(await failed.getByTestId("redrive-execution").count()).toBe(0);
    // Its container too (the state machine sets it Done at the end).
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${server.address}/v1/containers/${failedId}`)).json()) as { state: string })
            .state,
        WAIT,
      )
      .toBe("Done");
  }, 60_000);

  it("filters containers by source and supplier, and finds one by an invoice number it holds", async () => {
    await page.goto(`${server.address}/containers?state=all`);
    const rows = page.getByTestId("container-row");
    await expect.poll(() => rows.count(), WAIT).toBe(3);

    await page.getByTestId("source-filter").selectOption("api");
    await expect.poll(() => rows.allTextContents(), WAIT).toEqual([expect.stringContaining("acme-may.json")]);
    expect(new URL(page.url()).searchParams.get("source")).toBe("api");
    await page.getByTestId("source-filter").selectOption("upload");
    await expect.poll(() => rows.count(), WAIT).toBe(2);
    await page.getByTestId("source-filter").selectOption("");
    await expect.poll(() => rows.count(), WAIT).toBe(3);

    await page.getByTestId("supplier-filter").selectOption(await supplierOption(page, "Globex"));
    await expect
      .poll(() => rows.allTextContents(), WAIT)
      .toEqual([expect.stringContaining("globex-may.edi")]);
    await page.getByTestId("supplier-filter").selectOption("");
    await expect.poll(() => rows.count(), WAIT).toBe(3);

    await page.getByTestId("invoice-search").fill(globexNumber);
    await expect
      .poll(() => rows.allTextContents(), WAIT)
      .toEqual([expect.stringContaining("globex-may.edi")]);
    expect(new URL(page.url()).searchParams.get("invoice")).toBe(globexNumber);
    await page.getByTestId("invoice-search").fill("NO-SUCH-INVOICE");
    await expect.poll(() => rows.count(), WAIT).toBe(0);

    // Received today: all three; received from tomorrow: none.
    await page.getByTestId("invoice-search").fill("");
    const day = (offset: number) => {
      const date = new Date();
      date.setDate(date.getDate() + offset);
      return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
    };
    await page.getByTestId("from-filter").fill(day(0));
    await page.getByTestId("to-filter").fill(day(0));
    await expect.poll(() => rows.count(), WAIT).toBe(3);
    await page.getByTestId("from-filter").fill(day(1));
    await page.getByTestId("to-filter").fill(day(1));
    await expect.poll(() => rows.count(), WAIT).toBe(0);
    expect(new URL(page.url()).searchParams.get("from")).toBe(day(1));
    expect(dashboard.pageErrors).toEqual([]);
  }, 60_000);
});
