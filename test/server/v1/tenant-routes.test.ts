import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInvoice } from "../../../src/invoices/invoices.js";
import { stageParsed } from "../../../src/invoices/parsed.js";
import { makeInvoice } from "../../invoices/support.js";
import { BACKENDS } from "../../support/backends.js";
import { type Api, digitize, startApi, upload } from "./support.js";

interface ContainerJson {
  id: string;
  name: string;
  state: string;
  invoiceCount: number;
  parsedCount: number | null;
  executionArn: string;
  supplierId?: string;
  error?: string;
  reprocessCount: number;
  transitions: { state: string; reason?: string }[];
}
interface InvoiceJson {
  id: string;
  number: string;
  supplier: string;
  supplierId: string;
  containerId: string;
  file: string;
  duplicateOf?: string;
  checks?: { supplier: string; totals: string; duplicate: boolean };
  invoice?: { invoiceNumber: string };
}

/** What acme's first file holds: two invoices of one supplier, one of another. */
const acmeFile = () => [
  makeInvoice({
    number: "INV-1",
    date: "2024-01-15",
    sender: "WIDGETS",
    supplier: "Widgets, Inc.",
    total: "10.00",
  }),
  makeInvoice({
    number: "INV-2",
    date: "2024-02-15",
    sender: "WIDGETS",
    supplier: "Widgets, Inc.",
    total: "20.00",
  }),
  makeInvoice({
    number: "INV-3",
    date: "2024-03-15",
    sender: "GADGETS",
    supplier: "Gadgets",
    total: "30.00",
  }),
];

describe.each(BACKENDS)("the tenant routes on %s", (dialect) => {
  let api: Api;
  let acme: string;
  let other: string;
  /** Acme's containers, oldest first; the first digitized. */
  const acmeContainers: string[] = [];
  let acmeInvoices: string[] = [];
  let otherContainer: string;
  let otherInvoice: string;

  const json = async <T>(path: string, key: string): Promise<T> => {
    const response = await api.call(path, { key });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    api = await startApi(dialect);
    acme = await api.tenant("acme");
    other = await api.tenant("other");
    for (let i = 0; i < 7; i++)
      acmeContainers.push(await upload(api, `acme-${i}.edi`, `acme file ${i}`, acme));
    acmeInvoices = (await digitize(api, acmeContainers[0]!, acmeFile())).invoiceIds;
    otherContainer = await upload(api, "other.csv", "other file", other);
    otherInvoice = (
      await digitize(api, otherContainer, [
        makeInvoice({ number: "INV-1", sender: "WIDGETS", total: "10.00" }),
      ])
    ).invoiceIds[0]!;
  });
  afterAll(async () => {
    await api?.close();
  });

  it("never shows a tenant another tenant's containers, files, invoices or suppliers", async () => {
    for (const path of [
      `/v1/containers/${otherContainer}`,
      `/v1/containers/${otherContainer}/file`,
      `/v1/invoices/${otherInvoice}`,
    ]) {
      const response = await api.call(path, { key: acme });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/NotFound$/);
    }
    for (const action of ["reprocess", "redrive"]) {
      const response = await api.call(`/v1/containers/${otherContainer}/${action}`, {
        method: "POST",
        key: acme,
      });
      expect(response.status).toBe(404);
    }
    const containers = await json<{ containers: ContainerJson[] }>("/v1/containers?limit=500", acme);
    expect(containers.containers.map((c) => c.id)).not.toContain(otherContainer);
    const invoices = await json<{ invoices: InvoiceJson[] }>("/v1/invoices?limit=500", acme);
    expect(invoices.invoices.map((i) => i.id).sort()).toEqual([...acmeInvoices].sort());
    const suppliers = await json<{ suppliers: { tenantId: string }[] }>("/v1/suppliers", acme);
    expect(suppliers.suppliers.map((s) => s.tenantId)).toEqual(["acme", "acme"]);
    const exported = await (await api.call("/v1/invoices/export?format=ndjson", { key: acme })).text();
    expect(exported.trim().split("\n")).toHaveLength(3);
    // The same invoice in another tenant is not a duplicate of this one.
    expect((await json<InvoiceJson>(`/v1/invoices/${otherInvoice}`, other)).duplicateOf).toBeUndefined();
  });

  it("pages containers newest first with cursors, and filters them", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await json<{ containers: ContainerJson[]; nextCursor?: string }>(
        `/v1/containers?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        acme,
      );
      seen.push(...page.containers.map((c) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...acmeContainers].reverse());

    const done = await json<{ containers: ContainerJson[] }>("/v1/containers?state=Done", acme);
    expect(done.containers.map((c) => [c.id, c.invoiceCount, c.parsedCount])).toEqual([
      [acmeContainers[0], 3, 3],
    ]);
    const byName = await json<{ containers: ContainerJson[] }>("/v1/containers?q=ACME-4", acme);
    expect(byName.containers.map((c) => c.name)).toEqual(["acme-4.edi"]);
    const supplierId = done.containers[0]!.supplierId!;
    const bySupplier = await json<{ containers: ContainerJson[] }>(
      `/v1/containers?supplier=${supplierId}`,
      acme,
    );
    expect(bySupplier.containers.map((c) => c.id)).toEqual([acmeContainers[0]]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await json<{ containers: unknown[] }>(`/v1/containers?from=${future}`, acme)).containers).toEqual(
      [],
    );
    expect(
      (await json<{ containers: unknown[] }>(`/v1/containers?to=${Date.now() + 60_000}`, acme)).containers,
    ).toHaveLength(7);

    // By invoice number: the container holding INV-2, and only the tenant's own (other has an INV-1 too).
    const byInvoice = await json<{ containers: ContainerJson[] }>("/v1/containers?invoice=INV-1", acme);
    expect(byInvoice.containers.map((c) => c.id)).toEqual([acmeContainers[0]]);
    expect(
      (await json<{ containers: unknown[] }>("/v1/containers?invoice=INV-404", acme)).containers,
    ).toEqual([]);
    expect(
      (await json<{ containers: unknown[] }>("/v1/containers?source=upload", acme)).containers,
    ).toHaveLength(7);
    expect((await json<{ containers: unknown[] }>("/v1/containers?source=ftp", acme)).containers).toEqual([]);

    for (const query of [
      "limit=0",
      "limit=501",
      "cursor=bm9wZQ",
      "from=yesterday",
      "state=Lost",
      "source=pigeon",
    ]) {
      const response = await api.call(`/v1/containers?${query}`, { key: acme });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/^Invalid/);
    }
  });

  it("shows a container's transitions, and its invoices with their checks", async () => {
    const container = await json<ContainerJson>(`/v1/containers/${acmeContainers[0]}`, acme);
    expect(container.transitions.map((t) => t.state)).toEqual(["New", "Processing", "Done"]);
    const invoice = await json<InvoiceJson>(`/v1/invoices/${acmeInvoices[0]}`, acme);
    expect(invoice).toMatchObject({
      number: "INV-1",
      supplier: "Widgets, Inc.",
      containerId: acmeContainers[0],
      file: "acme-0.edi",
      checks: { supplier: "created", totals: "ok", duplicate: false },
      invoice: { invoiceNumber: "INV-1" },
    });
    const second = await json<InvoiceJson>(`/v1/invoices/${acmeInvoices[1]}`, acme);
    expect(second.checks?.supplier).toBe("matched");
    expect(second.supplierId).toBe(invoice.supplierId);
  });

  it("pages and filters invoices, duplicates flagged across containers", async () => {
    const copy = await upload(api, "acme-copy.edi", "acme copy", acme);
    const [duplicate] = (
      await digitize(api, copy, [
        makeInvoice({
          number: "INV-1",
          date: "2024-01-15",
          sender: "WIDGETS",
          supplier: "Widgets, Inc.",
          total: "10",
        }),
      ])
    ).invoiceIds;
    const flagged = await json<InvoiceJson>(`/v1/invoices/${duplicate}`, acme);
    expect(flagged.duplicateOf).toBe(acmeInvoices[0]);
    expect(flagged.checks?.duplicate).toBe(true);

    const only = await json<{ invoices: InvoiceJson[] }>("/v1/invoices?duplicates=only", acme);
    expect(only.invoices.map((i) => i.id)).toEqual([duplicate]);
    const none = await json<{ invoices: InvoiceJson[] }>("/v1/invoices?duplicates=exclude", acme);
    expect(none.invoices).toHaveLength(3);
    const pageOne = await json<{ invoices: InvoiceJson[]; nextCursor?: string }>(
      "/v1/invoices?limit=2",
      acme,
    );
    const pageTwo = await json<{ invoices: InvoiceJson[]; nextCursor?: string }>(
      `/v1/invoices?limit=2&cursor=${pageOne.nextCursor}`,
      acme,
    );
    expect(pageTwo.nextCursor).toBeUndefined();
    expect([...pageOne.invoices, ...pageTwo.invoices].map((i) => i.id)).toEqual(
      [...acmeInvoices, duplicate].reverse(),
    );
    const inFebruary = await json<{ invoices: InvoiceJson[] }>(
      "/v1/invoices?from=2024-02-01&to=2024-02-29",
      acme,
    );
    expect(inFebruary.invoices.map((i) => i.number)).toEqual(["INV-2"]);
    const byContainer = await json<{ invoices: InvoiceJson[] }>(`/v1/invoices?container=${copy}`, acme);
    expect(byContainer.invoices.map((i) => i.id)).toEqual([duplicate]);
    const byNumber = await json<{ invoices: InvoiceJson[] }>("/v1/invoices?number=INV-3", acme);
    expect(byNumber.invoices.map((i) => i.supplier)).toEqual(["Gadgets"]);
  });

  it("exports invoices as CSV and NDJSON, streamed, oldest first", async () => {
    const csv = await api.call(`/v1/invoices/export?format=csv&container=${acmeContainers[0]}`, {
      key: acme,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toContain('filename="invoices.csv"');
    const [a, b, c] = acmeInvoices;
    const container = acmeContainers[0];
    expect(await csv.text()).toBe(
      "id,number,date,supplier,total,currency,container,file,duplicateOf\r\n" +
        `${a},INV-1,2024-01-15,"Widgets, Inc.",10.00,USD,${container},acme-0.edi,\r\n` +
        `${b},INV-2,2024-02-15,"Widgets, Inc.",20.00,USD,${container},acme-0.edi,\r\n` +
        `${c},INV-3,2024-03-15,Gadgets,30.00,USD,${container},acme-0.edi,\r\n`,
    );
    const ndjson = await api.call("/v1/invoices/export?format=ndjson&duplicates=only", { key: acme });
    expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await ndjson.text()).split("\n");
    expect(lines.pop()).toBe("");
    const records = lines.map((line) => JSON.parse(line) as InvoiceJson);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      number: "INV-1",
      duplicateOf: a,
      invoice: { invoiceNumber: "INV-1" },
    });
    const bad = await api.call("/v1/invoices/export?format=xlsx", { key: acme });
    expect(bad.status).toBe(400);
  });

  it("exports more invoices than a page holds", async () => {
    const many = Array.from({ length: 601 }, (_, i) => makeInvoice({ number: `BULK-${i}`, sender: "BULK" }));
    const container = await upload(api, "bulk.csv", "bulk", other);
    await api.store.transaction(async (tx) => {
      await stageParsed(tx, container, { invoices: many, warnings: [] });
      for (let key = 1; key <= many.length; key++) await createInvoice(tx, container, key);
    });
    const text = await (await api.call(`/v1/invoices/export?container=${container}`, { key: other })).text();
    const rows = text.trim().split("\r\n").slice(1);
    expect(rows).toHaveLength(601);
    expect(new Set(rows.map((row) => row.split(",")[1])).size).toBe(601);
  });

  it("reprocesses a finished container under a new execution, once at a time", async () => {
    const id = acmeContainers[0]!;
    const first = await json<ContainerJson>(`/v1/containers/${id}`, acme);
    const response = await api.call(`/v1/containers/${id}/reprocess`, { method: "POST", key: acme });
    expect(response.status).toBe(202);
    const { executionArn } = (await response.json()) as { executionArn: string };
    expect(executionArn.endsWith(`:${id}-r1`)).toBe(true);
    expect((await api.states.executions.describe(executionArn)).status).toBe("RUNNING");
    // The execution it had (still waiting, in this test) works on it no longer.
    expect(await api.states.executions.describe(first.executionArn)).toMatchObject({
      status: "ABORTED",
      error: "Inflow.Reprocessed",
    });
    const container = await json<ContainerJson>(`/v1/containers/${id}`, acme);
    expect(container).toMatchObject({ state: "New", executionArn, reprocessCount: 1, parsedCount: null });
    expect(container.transitions.at(-1)).toMatchObject({ state: "New", reason: "reprocess" });
    const again = await api.call(`/v1/containers/${id}/reprocess`, { method: "POST", key: acme });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("InvalidContainerState");
    // Digitized again: the invoices are those of the first time, none twice.
    const rerun = await digitize(api, id, acmeFile());
    expect(rerun).toEqual({ state: "Done", invoiceIds: acmeInvoices });
  });

  it("redrives an Error container's failed execution, and refuses others", async () => {
    const id = acmeContainers[6]!;
    const notError = await api.call(`/v1/containers/${id}/redrive`, { method: "POST", key: acme });
    expect(notError.status).toBe(409);
    expect(((await notError.json()) as { error: { code: string } }).error.code).toBe("NotRedrivable");

    const { executionArn } = await json<ContainerJson>(`/v1/containers/${id}`, acme);
    await api.states.executions.stop(executionArn, {
      error: "Pipeline.DeadLettered",
      cause: "dead-lettered: gone",
    });
    const status = await api.call(`/v1/pipeline/containers/${id}/execution-status`, {
      method: "POST",
      key: api.serviceKey,
      body: JSON.stringify({ executionArn, status: "ABORTED" }),
      headers: { "content-type": "application/json" },
    });
    expect(await status.json()).toEqual({ state: "Error" });
    expect((await json<ContainerJson>(`/v1/containers/${id}`, acme)).error).toBe(
      "Pipeline.DeadLettered: dead-lettered: gone",
    );

    const redriven = await api.call(`/v1/containers/${id}/redrive`, { method: "POST", key: acme });
    expect(redriven.status).toBe(202);
    const answer = (await redriven.json()) as { executionArn: string; redriveDate: string };
    expect(answer.executionArn).toBe(executionArn);
    expect(Date.parse(answer.redriveDate)).toBeGreaterThan(0);
    expect((await api.states.executions.describe(executionArn)).status).toBe("RUNNING");
    const after = await json<ContainerJson>(`/v1/containers/${id}`, acme);
    expect(after.state).toBe("Processing");
    expect(after.error).toBeUndefined();
  });
});
