import type { Store } from "../store/types.js";

/**
 * A mapping's MaximumConcurrency across every process: a poller runs only while it holds one of
 * the mapping's slots, rows that any process can see. A slot is leased; its holder renews it as it
 * goes, and a slot whose lease ran out (its process died) is free for another.
 */
export interface Slot {
  /** Extends the lease when a third of it has passed; false when the slot was lost (the lease ran out). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Attempts at taking a free slot when another process takes the same one first. */
const ATTEMPTS = 3;

export function createSlots(store: Store, mappingUuid: string, limit: number, leaseMillis: number) {
  const holdSlot = (slot: number, holder: string): Slot => {
    let renewed = Date.now();
    return {
      async renew() {
        if (Date.now() - renewed < leaseMillis / 3) return true;
        const now = Date.now();
        const { changes } = await store.run(
          "UPDATE mapping_slots SET expires_at = $4 WHERE mapping_uuid = $1 AND slot = $2 AND holder = $3",
          [mappingUuid, slot, holder, now + leaseMillis],
        );
        renewed = now;
        return changes === 1;
      },
      async release() {
        await store.run("DELETE FROM mapping_slots WHERE mapping_uuid = $1 AND slot = $2 AND holder = $3", [
          mappingUuid,
          slot,
          holder,
        ]);
      },
    };
  };

  return {
    /** Takes a free slot for `holder`, or returns undefined when `limit` slots are held. */
    async acquire(holder: string): Promise<Slot | undefined> {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const now = Date.now();
        const held = await store.query<{ slot: number }>(
          "SELECT slot FROM mapping_slots WHERE mapping_uuid = $1 AND expires_at > $2",
          [mappingUuid, now],
        );
        if (held.length >= limit) return undefined;
        const taken = new Set(held.map((row) => Number(row.slot)));
        let free = 0;
        while (taken.has(free)) free += 1;
        // Takes the row if it is new or its lease ran out; 0 changes means another holder won it.
        const { changes } = await store.run(
          `INSERT INTO mapping_slots (mapping_uuid, slot, holder, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (mapping_uuid, slot) DO UPDATE SET holder = $3, expires_at = $4
           WHERE mapping_slots.expires_at <= $5`,
          [mappingUuid, free, holder, now + leaseMillis, now],
        );
        if (changes === 1) return holdSlot(free, holder);
      }
      return undefined;
    },
  };
}
