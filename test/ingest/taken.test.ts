import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claimHash,
  recordTaken,
  releaseHash,
  STALE_CLAIM_MILLIS,
  settleHash,
  takenByListing,
} from "../../src/ingest/taken.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

describe.each(BACKENDS)("what a source took, on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  const source = { tenantId: "default", name: "drop" };
  const other = { tenantId: "default", name: "other" };

  beforeAll(async () => {
    store = await database.open();
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it("claims bytes once per source, names the container that has them, and lets a failed or stale claim go", async () => {
    expect(await claimHash(store, source, "h1")).toEqual({ claimed: true });
    // A second poll at the same time, before the container is recorded: not claimed, no container yet.
    expect(await claimHash(store, source, "h1")).toEqual({ claimed: false });
    // Another source's memory is its own.
    expect(await claimHash(store, other, "h1")).toEqual({ claimed: true });

    const entry = { name: "a.json", size: 10, mtime: 1_000 };
    await settleHash(store, source, "h1", "c_1");
    await recordTaken(store, source, entry, { sha256: "h1", containerId: "c_1" });
    expect(await claimHash(store, source, "h1")).toEqual({ claimed: false, containerId: "c_1" });
    expect(await takenByListing(store, source, entry)).toBe(true);
    expect(await takenByListing(store, source, { ...entry, mtime: 2_000 })).toBe(false);
    expect(await takenByListing(store, other, entry)).toBe(false);

    // A container that could not be made: the claim is released and the bytes tried again.
    expect(await claimHash(store, source, "h2")).toEqual({ claimed: true });
    await releaseHash(store, source, "h2");
    expect(await claimHash(store, source, "h2")).toEqual({ claimed: true });
    // A poll that died after claiming: its claim is taken over once stale, not before.
    expect(await claimHash(store, source, "h2", Date.now() + 1_000)).toEqual({ claimed: false });
    expect(await claimHash(store, source, "h2", Date.now() + STALE_CLAIM_MILLIS + 1_000)).toEqual({
      claimed: true,
    });
    // Released, a recorded container's claim stays.
    await releaseHash(store, source, "h1");
    expect(await claimHash(store, source, "h1")).toEqual({ claimed: false, containerId: "c_1" });
  });
});
