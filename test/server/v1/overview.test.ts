import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeInvoice } from "../../invoices/support.js";
import { BACKENDS } from "../../support/backends.js";
import { type Api, digitize, startApi, upload } from "./support.js";

interface OverviewJson {
  containers: Record<string, number>;
  today: { since: string; files: number; invoices: number };
  hourly: { hour: string; files: number; invoices: number }[];
  sources: { name: string; kind: string; filesTaken: number; lastError?: string }[];
}

describe.each(BACKENDS)("/v1/overview on %s", (dialect) => {
  let api: Api;
  let acme: string;
  let globex: string;

  const overviewOf = async (key: string, query = "") => {
    const response = await api.call(`/v1/overview${query}`, { key });
    expect(response.status).toBe(200);
    return (await response.json()) as OverviewJson;
  };

  beforeAll(async () => {
    api = await startApi(dialect);
    acme = await api.tenant("acme");
    globex = await api.tenant("globex");
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it("counts a tenant's containers by state, today's files and invoices, hour by hour, and its sources", async () => {
    const done = await upload(api, "a.json", "[]", acme);
    await upload(api, "b.json", "[1]", acme);
    await upload(api, "c.json", "[2]", globex);
    const invoice = (number: string) =>
      makeInvoice({
        number,
        date: "2024-01-15",
        sender: "WIDGETS",
        supplier: "Widgets, Inc.",
        total: "10.00",
      });
    expect((await digitize(api, done, [invoice("INV-1"), invoice("INV-2")])).state).toBe("Done");
    await api.call("/v1/sources", {
      key: acme,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "drop", kind: "folder", settings: { path: "/nonexistent/drop" } }),
    });

    const seen = await overviewOf(acme, "?hours=3");
    expect(seen.containers).toEqual({ New: 1, Processing: 0, Done: 1, Error: 0 });
    expect(seen.today).toMatchObject({ files: 2, invoices: 2 });
    expect(seen.hourly).toHaveLength(3);
    expect(seen.hourly.at(-1)).toMatchObject({ files: 2, invoices: 2 });
    expect(seen.hourly.slice(0, 2).every((slot) => slot.files === 0 && slot.invoices === 0)).toBe(true);
    expect(Date.parse(seen.hourly[1]!.hour) - Date.parse(seen.hourly[0]!.hour)).toBe(3_600_000);
    expect(seen.sources).toEqual([{ name: "drop", kind: "folder", enabled: true, filesTaken: 0 }]);

    // Another tenant's numbers are its own.
    const other = await overviewOf(globex);
    expect(other.containers).toEqual({ New: 1, Processing: 0, Done: 0, Error: 0 });
    expect(other.today).toMatchObject({ files: 1, invoices: 0 });
    expect(other.sources).toEqual([]);

    // Counted from a time after everything: nothing today.
    const later = await overviewOf(acme, `?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(later.today).toMatchObject({ files: 0, invoices: 0 });
    expect(later.containers.Done).toBe(1);
  });
});
