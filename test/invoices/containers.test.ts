import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  containerProgress,
  containerTransitions,
  getContainer,
  insertContainer,
  listContainers,
  transitionContainer,
} from "../../src/invoices/containers.js";
import { InvoicesError } from "../../src/invoices/errors.js";
import { readFile, storeFile } from "../../src/invoices/files.js";
import { CONTAINER_STATES, CONTAINER_TRANSITIONS, canTransition } from "../../src/invoices/types.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

async function refusal(promise: Promise<unknown>): Promise<InvoicesError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvoicesError) return error;
    throw error;
  }
  throw new Error("expected an InvoicesError");
}

describe("the container lifecycle", () => {
  it("allows exactly the transitions of the contract", () => {
    const allowed = CONTAINER_STATES.flatMap((from) =>
      CONTAINER_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        "New->Processing",
        "New->Error",
        "Processing->Done",
        "Processing->Error",
        "Error->Processing",
        "Error->Done",
        "Done->New",
        "Error->New",
      ].sort(),
    );
    expect(Object.isFrozen(CONTAINER_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(CONTAINER_TRANSITIONS.New)).toBe(true);
  });
});

describe.each(BACKENDS)("containers on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;

  beforeAll(async () => {
    store = await database.open();
  });
  afterAll(async () => {
    await store?.close();
    await database.drop();
  });

  const newContainer = (name = "a.edi", tenantId = "default") =>
    store.transaction(async (tx) => {
      const file = await storeFile(tx, Buffer.from(name));
      return insertContainer(tx, { tenantId, name, source: "upload", ...file });
    });

  it("stores files once per content and reads them back", async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const first = await storeFile(store, bytes);
    const again = await storeFile(store, Buffer.from(bytes));
    expect(again).toEqual(first);
    expect(first.size).toBe(5);
    expect(await readFile(store, first.sha256)).toEqual(bytes);
    const [count] = await store.query<{ n: number }>("SELECT COUNT(*) AS n FROM files WHERE sha256 = $1", [
      first.sha256,
    ]);
    expect(Number(count!.n)).toBe(1);
  });

  it("keeps every transition with its time, and the reason of an Error", async () => {
    const container = await newContainer();
    expect(container.state).toBe("New");
    expect(container.id).toMatch(/^c_[A-Za-z0-9_-]{20}$/);
    await transitionContainer(store, container.id, "Processing");
    const { container: failed } = await transitionContainer(store, container.id, "Error", { reason: "boom" });
    expect(failed.error).toBe("boom");
    const { container: redriven } = await transitionContainer(store, container.id, "Processing");
    expect(redriven.error).toBeUndefined();
    const transitions = await containerTransitions(store, container.id);
    expect(transitions.map((t) => [t.state, t.reason])).toEqual([
      ["New", undefined],
      ["Processing", undefined],
      ["Error", "boom"],
      ["Processing", undefined],
    ]);
    for (const t of transitions) expect(t.at).toBeGreaterThan(0);
  });

  it("refuses illegal transitions and those outside the caller's guard", async () => {
    const container = await newContainer();
    expect((await refusal(transitionContainer(store, container.id, "Done"))).name).toBe(
      "InvalidContainerState",
    );
    await transitionContainer(store, container.id, "Processing");
    await transitionContainer(store, container.id, "Done");
    const refused = await refusal(transitionContainer(store, container.id, "Processing"));
    expect(refused.name).toBe("InvalidContainerState");
    expect(refused.status).toBe(409);
    expect(
      (await refusal(transitionContainer(store, container.id, "Error", { from: ["Processing"] }))).name,
    ).toBe("InvalidContainerState");
    expect((await refusal(transitionContainer(store, "c_missing", "Processing"))).name).toBe(
      "ContainerNotFound",
    );
    expect((await getContainer(store, container.id)).state).toBe("Done");
    // A reprocess must say which execution takes over.
    await expect(transitionContainer(store, container.id, "New")).rejects.toThrow(
      /must name its new execution/,
    );
  });

  it("applies only one of two concurrent transitions out of the same state", async () => {
    const container = await newContainer();
    await transitionContainer(store, container.id, "Processing");
    const outcomes = await Promise.allSettled([
      store.transaction((tx) => transitionContainer(tx, container.id, "Done", { from: ["Processing"] })),
      store.transaction((tx) => transitionContainer(tx, container.id, "Error", { from: ["Processing"] })),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(await containerTransitions(store, container.id)).toHaveLength(3);
  });

  it("answers unchanged where the operation already happened, and for another execution", async () => {
    const container = await newContainer();
    await transitionContainer(store, container.id, "Processing");
    const again = await transitionContainer(store, container.id, "Processing", {
      unchangedIn: ["Processing"],
    });
    expect(again.changed).toBe(false);
    const stale = await transitionContainer(store, container.id, "Error", { ifExecution: "arn:old" });
    expect(stale.changed).toBe(false);
    expect(stale.container.state).toBe("Processing");
  });

  it("pages newest first and filters by state, name, time and tenant", async () => {
    const before = Date.now();
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await newContainer(`Page_${i}%.csv`, "paging"));
    await transitionContainer(store, made[2]!.id, "Processing");
    const seen: string[] = [];
    let next: number | undefined;
    do {
      const page = await listContainers(store, { tenantId: "paging", limit: 3, before: next });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((c) => c.id));
      next = page.next;
    } while (next !== undefined);
    expect(seen).toEqual(made.map((c) => c.id).reverse());

    const processing = await listContainers(store, { tenantId: "paging", state: "Processing", limit: 50 });
    expect(processing.items.map((c) => c.id)).toEqual([made[2]!.id]);
    const byName = await listContainers(store, { tenantId: "paging", nameContains: "PAGE_3%", limit: 50 });
    expect(byName.items.map((c) => c.id)).toEqual([made[3]!.id]);
    // LIKE wildcards in the text are taken literally.
    expect(
      (await listContainers(store, { tenantId: "paging", nameContains: "_1_", limit: 50 })).items,
    ).toEqual([]);
    expect((await listContainers(store, { tenantId: "paging", from: before, limit: 50 })).items).toHaveLength(
      7,
    );
    expect((await listContainers(store, { tenantId: "paging", to: before, limit: 50 })).items).toHaveLength(
      0,
    );
    expect((await listContainers(store, { tenantId: "nobody", limit: 50 })).items).toEqual([]);

    const progress = await containerProgress(store, [made[2]!.id, made[0]!.id, "c_unknown"]);
    expect(progress.map((p) => [p.id, p.state]).sort()).toEqual(
      [
        [made[0]!.id, "New"],
        [made[2]!.id, "Processing"],
      ].sort(),
    );
  });

  it("hides another tenant's container as not found", async () => {
    const container = await newContainer("mine.csv", "tenant-a");
    expect((await getContainer(store, container.id, "tenant-a")).id).toBe(container.id);
    expect((await refusal(getContainer(store, container.id, "tenant-b"))).name).toBe("ContainerNotFound");
  });
});
