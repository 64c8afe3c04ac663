import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChecks, totalsCheck } from "../../src/invoices/checks.js";
import { getContainer, transitionContainer } from "../../src/invoices/containers.js";
import { fingerprintTotal } from "../../src/invoices/duplicates.js";
import { InvoicesError } from "../../src/invoices/errors.js";
import { allInvoices, createInvoice, getInvoice, listInvoices } from "../../src/invoices/invoices.js";
import { parsedInvoice, stageParsed } from "../../src/invoices/parsed.js";
import { listSuppliers, supplierKeyOf } from "../../src/invoices/suppliers.js";
import { createTenant } from "../../src/invoices/tenants.js";
import { verifyContainer } from "../../src/invoices/verify.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";
import { makeInvoice, seedContainer } from "./support.js";

describe("supplier keys and fingerprints", () => {
  it("match EDI invoices by sender, others by supplier id, else name", () => {
    expect(supplierKeyOf(makeInvoice({ number: "1", sender: "ACME ", supplier: "Acme Inc" }))).toEqual({
      matchKey: "edi:ZZ:ACME",
      name: "Acme Inc",
    });
    const byId = makeInvoice({ number: "1", supplier: "Acme" });
    byId.parties[0]!.id = "123";
    byId.parties[0]!.idQualifier = "1";
    expect(supplierKeyOf(byId).matchKey).toBe("id:1:123");
    expect(supplierKeyOf(makeInvoice({ number: "1", supplier: " Acme   Inc " })).matchKey).toBe(
      "name:acme inc",
    );
    expect(supplierKeyOf(makeInvoice({ number: "1" })).matchKey).toBe("unknown");
  });

  it("compare totals by value", () => {
    expect(fingerprintTotal("12.50")).toBe("12.5");
    expect(fingerprintTotal("+012.500")).toBe("12.5");
    expect(fingerprintTotal("100")).toBe("100");
    expect(fingerprintTotal("100.00")).toBe("100");
    expect(fingerprintTotal("-0.00")).toBe("0");
  });

  it("check stated totals against the computed ones", () => {
    expect(totalsCheck(makeInvoice({ number: "1", stated: "30", lines: ["10", "20"] }))).toBe("ok");
    expect(totalsCheck(makeInvoice({ number: "1", stated: "31.00", lines: ["10", "20"] }))).toBe(
      "mismatch: stated 31.00, computed 30",
    );
    expect(totalsCheck(makeInvoice({ number: "1", lines: ["10"] }))).toBe("ok");
    expect(totalsCheck(makeInvoice({ number: "1", stated: "5" }))).toBe("ok");
  });
});

describe.each(BACKENDS)("invoices on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;

  beforeAll(async () => {
    store = await database.open();
    await createTenant(store, { id: "t1" });
    await createTenant(store, { id: "t2" });
  });
  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  const create = (containerId: string, key: number) =>
    store.transaction((tx) => createInvoice(tx, containerId, key));

  it("creates an invoice once however many concurrent calls ask for it", async () => {
    const container = await seedContainer(store, "t1", [
      makeInvoice({ number: "A-1", sender: "ONCE", total: "10" }),
    ]);
    const results = await Promise.all(Array.from({ length: 8 }, () => create(container.id, 1)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.invoiceId)).size).toBe(1);
    const [count] = await store.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM invoices WHERE container_id = $1",
      [container.id],
    );
    expect(Number(count!.n)).toBe(1);
    const after = await getContainer(store, container.id);
    expect(after.createdCount).toBe(1);
    expect(after.supplierId).toMatch(/^s_/);
    // And again later, as a redelivered message would.
    expect(await create(container.id, 1)).toEqual({ invoiceId: results[0]!.invoiceId, created: false });
  });

  it("refuses a key that was not parsed", async () => {
    const container = await seedContainer(store, "t1", [makeInvoice({ number: "A-2", sender: "ONCE" })]);
    const error = await create(container.id, 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvoicesError);
    expect((error as InvoicesError).name).toBe("ParsedInvoiceNotFound");
    expect((error as InvoicesError).status).toBe(404);
  });

  it("creates a new supplier once when two containers see it at the same time", async () => {
    const containers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        seedContainer(store, "t1", [
          makeInvoice({ number: `N-${i}`, sender: "NEWCO", total: "1" }),
          makeInvoice({ number: `M-${i}`, sender: "NEWCO", total: "2" }),
        ]),
      ),
    );
    await Promise.all(containers.flatMap((c) => [create(c.id, 1), create(c.id, 2)]));
    const suppliers = (await listSuppliers(store, { tenantId: "t1", limit: 100 })).items.filter(
      (s) => s.matchKey === "edi:ZZ:NEWCO",
    );
    expect(suppliers).toHaveLength(1);
    const invoices = await listInvoices(store, { tenantId: "t1", supplierId: suppliers[0]!.id, limit: 100 });
    expect(invoices.items).toHaveLength(8);
    const created = [];
    for (const invoice of invoices.items) created.push((await runChecks(store, invoice.id)).supplier);
    expect(created.filter((s) => s === "created")).toHaveLength(1);
    // The same sender in another tenant is another supplier.
    const other = await seedContainer(store, "t2", [
      makeInvoice({ number: "N-0", sender: "NEWCO", total: "1" }),
    ]);
    await create(other.id, 1);
    expect((await listSuppliers(store, { tenantId: "t2", limit: 10 })).items.map((s) => s.matchKey)).toEqual([
      "edi:ZZ:NEWCO",
    ]);
  });

  it("flags duplicates across containers and links them to the first, keeping them all", async () => {
    const original = makeInvoice({ number: "D-1", date: "2024-03-01", sender: "DUPS", total: "99.50" });
    const first = await seedContainer(store, "t1", [original]);
    const { invoiceId: firstId } = await create(first.id, 1);
    const copies = await Promise.all(
      [0, 1, 2].map(() =>
        seedContainer(store, "t1", [
          makeInvoice({ number: "D-1", date: "2024-03-01", sender: "DUPS", total: "99.5" }),
          // Another date: not a duplicate.
          makeInvoice({ number: "D-1", date: "2024-03-02", sender: "DUPS", total: "99.50" }),
        ]),
      ),
    );
    const created = await Promise.all(copies.map((c) => create(c.id, 1)));
    for (const { invoiceId } of created) {
      expect((await getInvoice(store, invoiceId)).duplicateOf).toBe(firstId);
      expect(await runChecks(store, invoiceId)).toEqual({
        supplier: "matched",
        totals: "ok",
        duplicateOf: firstId,
      });
      expect((await getInvoice(store, invoiceId)).checks).toEqual({
        supplier: "matched",
        totals: "ok",
        duplicate: true,
      });
    }
    const otherDates = await Promise.all(copies.map((c) => create(c.id, 2)));
    const flagged = [];
    for (const { invoiceId } of otherDates) flagged.push((await getInvoice(store, invoiceId)).duplicateOf);
    // Among the three with the other date, exactly one is the original.
    expect(flagged.filter((id) => id === undefined)).toHaveLength(1);
    expect((await getInvoice(store, firstId)).duplicateOf).toBeUndefined();

    const only = await listInvoices(store, { tenantId: "t1", number: "D-1", duplicates: "only", limit: 50 });
    expect(only.items).toHaveLength(5);
    const exclude = await listInvoices(store, {
      tenantId: "t1",
      number: "D-1",
      duplicates: "exclude",
      limit: 50,
    });
    expect(exclude.items).toHaveLength(2);
    // Another tenant with the same invoice is no duplicate.
    const elsewhere = await seedContainer(store, "t2", [original]);
    const { invoiceId } = await create(elsewhere.id, 1);
    expect((await getInvoice(store, invoiceId)).duplicateOf).toBeUndefined();
  });

  it("hides another tenant's invoice as not found", async () => {
    const container = await seedContainer(store, "t2", [makeInvoice({ number: "P-1", sender: "PRIV" })]);
    const { invoiceId } = await create(container.id, 1);
    expect((await getInvoice(store, invoiceId, "t2")).number).toBe("P-1");
    await expect(getInvoice(store, invoiceId, "t1")).rejects.toMatchObject({ name: "InvoiceNotFound" });
    expect((await listInvoices(store, { tenantId: "t1", number: "P-1", limit: 10 })).items).toEqual([]);
  });

  it("verifies Done when every parsed invoice was created, else Error with the counts", async () => {
    const invoices = [1, 2, 3].map((i) => makeInvoice({ number: `V-${i}`, sender: "VERIFY" }));
    const complete = await seedContainer(store, "t1", invoices);
    await transitionContainer(store, complete.id, "Processing");
    for (const key of [1, 2, 3]) await create(complete.id, key);
    expect(await store.transaction((tx) => verifyContainer(tx, complete.id))).toEqual({
      state: "Done",
      parsed: 3,
      created: 3,
    });
    // Verifying again answers the same.
    expect((await store.transaction((tx) => verifyContainer(tx, complete.id))).state).toBe("Done");
    // Its staged invoices are gone: each is an invoice now, and a redelivered creation still answers.
    expect(await parsedInvoice(store, complete.id, 1)).toBeUndefined();
    expect((await store.transaction((tx) => createInvoice(tx, complete.id, 1))).created).toBe(false);

    const partial = await seedContainer(store, "t1", invoices);
    await transitionContainer(store, partial.id, "Processing");
    await create(partial.id, 2);
    const verdict = await store.transaction((tx) => verifyContainer(tx, partial.id));
    expect(verdict).toEqual({ state: "Error", parsed: 3, created: 1, error: "created 1 of 3 invoices" });
    const after = await getContainer(store, partial.id);
    expect(after.state).toBe("Error");
    expect(after.error).toBe("created 1 of 3 invoices");
    expect(after.createdCount).toBe(1);
  });

  it("replaces earlier staging and keeps at most 100 warnings; a Done container takes none", async () => {
    const container = await seedContainer(store, "t1", [makeInvoice({ number: "S-1" })]);
    const warnings = Array.from({ length: 150 }, (_, i) => ({ code: "W", message: `w${i}` }));
    const invoices = Array.from({ length: 2500 }, (_, i) => makeInvoice({ number: `S-${i + 1}` }));
    expect(await store.transaction((tx) => stageParsed(tx, container.id, { invoices, warnings }))).toEqual({
      parsed: 2500,
    });
    const staged = await getContainer(store, container.id);
    expect(staged.parsedCount).toBe(2500);
    expect(staged.warnings).toHaveLength(100);
    const keys = await store.query<{ key: number; invoice: string }>(
      "SELECT key, invoice FROM parsed_invoices WHERE container_id = $1 AND key IN (1, 1234, 2500) ORDER BY key",
      [container.id],
    );
    expect(keys.map((k) => [k.key, JSON.parse(k.invoice).invoiceNumber])).toEqual([
      [1, "S-1"],
      [1234, "S-1234"],
      [2500, "S-2500"],
    ]);
    await transitionContainer(store, container.id, "Processing");
    await transitionContainer(store, container.id, "Done");
    await expect(
      store.transaction((tx) => stageParsed(tx, container.id, { invoices: [], warnings: [] })),
    ).rejects.toMatchObject({ name: "InvalidContainerState" });
  });

  it("lists every invoice oldest first for exports, a page at a time", async () => {
    const invoices = Array.from({ length: 7 }, (_, i) => makeInvoice({ number: `E-${i}`, sender: "EXPORT" }));
    const container = await seedContainer(store, "t1", invoices);
    for (let key = 1; key <= 7; key++) await create(container.id, key);
    const numbers = [];
    for await (const invoice of allInvoices(store, { containerId: container.id }, { pageSize: 3 }))
      numbers.push(invoice.number);
    expect(numbers).toEqual(invoices.map((i) => i.invoiceNumber));
  });
});
