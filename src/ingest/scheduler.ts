import { nextFireTime, parseScheduleExpression } from "../functions/schedule-expressions.js";
import { type PollDeps, pollSource } from "./poll.js";

/** How often due sources are looked for: a source's period is rounded up to this. */
const TICK_MILLIS = 5_000;
/**
 * Polls one process runs at once: hundreds of sources due together must not open hundreds of
 * connections. Those left over stay due, for the next tick here or another process.
 */
export const MAX_POLLS_AT_ONCE = 8;

interface DueRow {
  tenant_id: string;
  name: string;
  schedule: string;
  created_at: number;
  next_poll_at: number | null;
}

/**
 * Polls every enabled source that has a schedule, once per period, in every process that runs
 * workers (`inflow serve`, `inflow worker`): a process polls a due source only if it is the one that
 * moves the source's next poll time on from the value it read (a conditional update), so however
 * many processes look, one polls. A source seen for the first time is due at once. A poll's
 * errors are the source's own record (its last error); the scheduler goes on with the others.
 */
export function startSourceScheduler(deps: PollDeps & { onError(error: unknown): void; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const stopping = new AbortController();
  const polling = new Set<Promise<unknown>>();

  const claim = async (row: DueRow, at: number): Promise<boolean> => {
    let next: number;
    try {
      next =
        nextFireTime(parseScheduleExpression(row.schedule, "UTC"), at, row.created_at) ??
        Number.MAX_SAFE_INTEGER;
    } catch {
      // A schedule stored before its rules changed: never due, rather than due every tick.
      next = Number.MAX_SAFE_INTEGER;
    }
    const same = deps.store.dialect === "postgres" ? "IS NOT DISTINCT FROM" : "IS";
    const { changes } = await deps.store.run(
      `UPDATE sources SET next_poll_at = $1 WHERE tenant_id = $2 AND name = $3 AND next_poll_at ${same} $4`,
      [next, row.tenant_id, row.name, row.next_poll_at],
    );
    return changes === 1;
  };

  const tick = async () => {
    const at = now();
    const due = await deps.store.query<DueRow>(
      `SELECT tenant_id, name, schedule, created_at, next_poll_at FROM sources
       WHERE enabled = 1 AND schedule IS NOT NULL AND (next_poll_at IS NULL OR next_poll_at <= $1)`,
      [at],
    );
    for (const row of due) {
      if (stopping.signal.aborted || polling.size >= MAX_POLLS_AT_ONCE) return;
      if (!(await claim(row, at))) continue;
      const poll = pollSource(deps, row.tenant_id, row.name).catch(deps.onError);
      polling.add(poll);
      void poll.finally(() => polling.delete(poll));
    }
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await tick().catch(deps.onError);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stopping.signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, TICK_MILLIS);
        stopping.signal.addEventListener("abort", done);
      });
    }
  })();

  return {
    /** Stops looking for due sources, and waits for the polls in progress. */
    async stop(): Promise<void> {
      stopping.abort();
      await loop;
      await Promise.all(polling);
    },
  };
}
