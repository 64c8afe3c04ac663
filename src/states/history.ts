import type { Queryable } from "../store/types.js";
import { HISTORY_LIMIT, HistoryLimitExceeded } from "./errors.js";

/** A history event as GetExecutionHistory returns it (timestamps in epoch milliseconds here). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  type: string;
  timestamp: number;
  details?: Record<string, unknown>;
}

/** The `<type>EventDetails` member name AWS uses for each event type. */
export function detailsMemberOf(type: string): string {
  const special: Record<string, string> = {
    PassStateEntered: "stateEnteredEventDetails",
    ChoiceStateEntered: "stateEnteredEventDetails",
    WaitStateEntered: "stateEnteredEventDetails",
    SucceedStateEntered: "stateEnteredEventDetails",
    FailStateEntered: "stateEnteredEventDetails",
    TaskStateEntered: "stateEnteredEventDetails",
    MapStateEntered: "stateEnteredEventDetails",
    ParallelStateEntered: "stateEnteredEventDetails",
    PassStateExited: "stateExitedEventDetails",
    ChoiceStateExited: "stateExitedEventDetails",
    WaitStateExited: "stateExitedEventDetails",
    SucceedStateExited: "stateExitedEventDetails",
    TaskStateExited: "stateExitedEventDetails",
    MapStateExited: "stateExitedEventDetails",
    ParallelStateExited: "stateExitedEventDetails",
  };
  return special[type] ?? `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/**
 * Appends events to an execution's history inside the caller's transaction. Ids come from a
 * counter on the execution row, whose update also serializes concurrent writers of one history
 * (Map iterations ending at once).
 */
export async function appendEvents(
  tx: Queryable,
  executionId: number,
  now: number,
  events: readonly NewEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const [row] = await tx.query<{ last_event_id: number }>(
    "UPDATE executions SET last_event_id = last_event_id + $1 WHERE id = $2 RETURNING last_event_id",
    [events.length, executionId],
  );
  const last = row!.last_event_id;
  const first = last - events.length + 1;
  const params: unknown[] = [];
  const tuples = events.map((event, index) => {
    const id = first + index;
    // AWS links the first state's entry to 0, not to ExecutionStarted, and an abort to no event:
    // StopExecution comes from outside the execution.
    params.push(
      executionId,
      id,
      id === 2 || event.type === "ExecutionAborted" ? 0 : id - 1,
      event.type,
      now,
      event.details ? JSON.stringify(event.details) : null,
    );
    const base = index * 6;
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6})`;
  });
  await tx.run(
    `INSERT INTO history_events (execution_id, id, previous_event_id, type, timestamp, details) VALUES ${tuples.join(", ")}`,
    params as never,
  );
  return last;
}

export type NewEvent = { type: string; details?: Record<string, unknown> };

/**
 * The history events of one step's transaction, written together: one counter update and one
 * insert per execution instead of one pair per state, in the order they were appended. A step
 * that would take a history past HISTORY_LIMIT fails here, before its transaction commits.
 */
export interface EventLog {
  append(executionId: number, events: readonly NewEvent[]): void;
  /** Writes what was appended; returns the id of the last event written for `executionId` in this transaction. */
  flush(executionId?: number): Promise<number>;
  /** What is appended and not yet written, to go back to after a rollback to a savepoint. */
  snapshot(): ReadonlyMap<number, readonly NewEvent[]>;
  restore(snapshot: ReadonlyMap<number, readonly NewEvent[]>): void;
}

export function createEventLog(tx: Queryable, now: number): EventLog {
  const pending = new Map<number, NewEvent[]>();
  const lastIds = new Map<number, number>();
  return {
    append(executionId, events) {
      if (events.length === 0) return;
      const list = pending.get(executionId);
      if (list) list.push(...events);
      else pending.set(executionId, [...events]);
    },
    async flush(executionId) {
      for (const [id, events] of pending) {
        pending.delete(id);
        const last = await appendEvents(tx, id, now, events);
        // One id stays free for the ExecutionFailed that ends an execution at the limit.
        if (last > HISTORY_LIMIT - 1) throw new HistoryLimitExceeded(id);
        lastIds.set(id, last);
      }
      return executionId === undefined ? 0 : (lastIds.get(executionId) ?? 0);
    },
    snapshot() {
      return new Map([...pending].map(([id, events]) => [id, [...events]]));
    },
    restore(snapshot) {
      pending.clear();
      for (const [id, events] of snapshot) pending.set(id, [...events]);
    },
  };
}

export async function readHistory(
  db: Queryable,
  executionId: number,
  options: { afterId?: number; limit: number; reverse?: boolean },
): Promise<HistoryEvent[]> {
  const reverse = options.reverse ?? false;
  const rows = await db.query<{
    id: number;
    previous_event_id: number;
    type: string;
    timestamp: number;
    details: string | null;
  }>(
    `SELECT id, previous_event_id, type, timestamp, details FROM history_events
     WHERE execution_id = $1 AND ${reverse ? "id < $2" : "id > $2"}
     ORDER BY id ${reverse ? "DESC" : "ASC"} LIMIT $3`,
    [executionId, options.afterId ?? (reverse ? Number.MAX_SAFE_INTEGER : 0), options.limit],
  );
  return rows.map((row) => ({
    id: row.id,
    previousEventId: row.previous_event_id,
    type: row.type,
    timestamp: row.timestamp,
    ...(row.details ? { details: JSON.parse(row.details) as Record<string, unknown> } : {}),
  }));
}
