import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeInvoice } from "../../invoices/support.js";
import { BACKENDS } from "../../support/backends.js";
import { type Api, digitize, startApi, upload } from "./support.js";

describe.each(BACKENDS)("the pipeline routes on %s", (dialect) => {
  let api: Api;

  /** A service call: status and JSON body. */
  const service = async (method: string, path: string, body?: unknown) => {
    const response = await api.call(`/v1/pipeline${path}`, {
      method,
      key: api.serviceKey,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
        : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const errorCode = (answer: { body: Record<string, unknown> }) =>
    (answer.body.error as { code: string }).code;

  beforeAll(async () => {
    api = await startApi(dialect);
  });
  afterAll(async () => {
    await api?.close();
  });

  it("sets a container Processing, again and again, but never a Done one", async () => {
    const id = await upload(api, "a.edi", "a");
    expect(await service("POST", `/containers/${id}/processing`)).toEqual({
      status: 200,
      body: { state: "Processing" },
    });
    expect((await service("POST", `/containers/${id}/processing`)).body).toEqual({ state: "Processing" });
    await service("PUT", `/containers/${id}/parsed`, { invoices: [] });
    expect((await service("POST", `/containers/${id}/verify`)).body).toEqual({
      state: "Done",
      parsed: 0,
      created: 0,
    });
    const refused = await service("POST", `/containers/${id}/processing`);
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe("InvalidContainerState");
    const missing = await service("POST", "/containers/c_nope/processing");
    expect([missing.status, errorCode(missing)]).toEqual([404, "ContainerNotFound"]);
  });

  it("creates each parsed invoice once, however many requests for it arrive together", async () => {
    const id = await upload(api, "b.edi", "b");
    await service("POST", `/containers/${id}/processing`);
    const staged = await service("PUT", `/containers/${id}/parsed`, {
      invoices: [makeInvoice({ number: "1", sender: "X" }), makeInvoice({ number: "2", sender: "X" })],
      warnings: [{ code: "X12.Warning", severity: "warning", message: "tolerated", location: {} }],
    });
    expect(staged).toEqual({ status: 200, body: { parsed: 2 } });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => service("POST", `/containers/${id}/invoices/1`)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.created === true)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.invoiceId)).size).toBe(1);

    const missing = await service("POST", `/containers/${id}/invoices/3`);
    expect([missing.status, errorCode(missing)]).toEqual([404, "ParsedInvoiceNotFound"]);
    expect((await service("POST", `/containers/${id}/invoices/0`)).status).toBe(400);

    const checks = await service("POST", `/invoices/${answers[0]!.body.invoiceId}/checks`);
    expect(checks).toEqual({ status: 200, body: { supplier: "created", totals: "ok" } });
    expect((await service("POST", "/invoices/i_nope/checks")).status).toBe(404);

    // One of two created: Error with the counts.
    const verdict = await service("POST", `/containers/${id}/verify`);
    expect(verdict.body).toEqual({ state: "Error", parsed: 2, created: 1, error: "created 1 of 2 invoices" });
    const detail = (await (await api.call(`/v1/containers/${id}`)).json()) as {
      warnings: unknown[];
      state: string;
    };
    expect(detail.state).toBe("Error");
    expect(detail.warnings).toEqual([
      { code: "X12.Warning", severity: "warning", message: "tolerated", location: {} },
    ]);
  });

  it("reports duplicates and totals in the checks", async () => {
    const first = await upload(api, "c1.edi", "c1");
    const second = await upload(api, "c2.edi", "c2");
    const invoice = makeInvoice({
      number: "DUP",
      date: "2024-05-01",
      sender: "DUPER",
      stated: "31",
      lines: ["10", "20"],
    });
    const [original] = (await digitize(api, first, [invoice])).invoiceIds;
    const [copy] = (await digitize(api, second, [invoice])).invoiceIds;
    expect((await service("POST", `/invoices/${copy}/checks`)).body).toEqual({
      supplier: "matched",
      totals: "mismatch: stated 31, computed 30",
      duplicateOf: original,
    });
  });

  it("refuses malformed bodies", async () => {
    const id = await upload(api, "d.edi", "d");
    for (const body of [{}, { invoices: "no" }, { invoices: [{ total: "1" }] }]) {
      const answer = await service("PUT", `/containers/${id}/parsed`, body);
      expect([answer.status, errorCode(answer)]).toEqual([400, "InvalidRequest"]);
    }
    const notJson = await api.call(`/v1/pipeline/containers/${id}/parsed`, {
      method: "PUT",
      key: api.serviceKey,
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    const status = await service("POST", `/containers/${id}/execution-status`, { status: "FAILED" });
    expect(status.status).toBe(400);
  });

  it("puts a container in Error when its execution fails, ignoring stale executions' events", async () => {
    const id = await upload(api, "e.edi", "e");
    const { executionArn } = (await (await api.call(`/v1/containers/${id}`)).json()) as {
      executionArn: string;
    };
    await service("POST", `/containers/${id}/processing`);

    // An event of an execution that is not the container's changes nothing.
    const stale = await service("POST", `/containers/${id}/execution-status`, {
      executionArn: `${executionArn}-r9`,
      status: "FAILED",
      error: "Old",
    });
    expect(stale.body).toEqual({ state: "Processing" });

    // The event says RUNNING, but the execution has failed since: the execution is believed.
    const report = JSON.stringify({ errorType: "X12.Unreadable", errorMessage: "e.edi: segment 1: not X12" });
    await api.states.executions.stop(executionArn, { error: "X12.Unreadable", cause: report });
    const failed = await service("POST", `/containers/${id}/execution-status`, {
      executionArn,
      status: "RUNNING",
    });
    expect(failed.body).toEqual({ state: "Error" });
    const detail = (await (await api.call(`/v1/containers/${id}`)).json()) as { error: string };
    expect(detail.error).toBe("X12.Unreadable: e.edi: segment 1: not X12");
  });
});
