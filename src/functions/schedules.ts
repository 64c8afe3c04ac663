import type { States } from "../states/engine.js";
import type { Dialect, Queryable, SqlValue, Store } from "../store/types.js";
import { FunctionsError, functionNotFound, invalidParameter, scheduleNotFound } from "./errors.js";
import type { Functions } from "./registry.js";
import { nextFireTime, parseScheduleExpression } from "./schedule-expressions.js";

/**
 * Schedules, as EventBridge Scheduler has them: a recurring expression in a time zone whose every
 * firing starts a state machine execution or calls a function with a fixed input.
 *
 * Durable and shared: a schedule is a row whose `next_fire_at` a worker claims in a transaction
 * (FOR UPDATE SKIP LOCKED on PostgreSQL, the one writer on SQLite), moving it to the next period
 * before it fires, so each period fires once however many workers run. A worker that wakes after
 * downtime finds one missed firing due and fires it once; the next one is computed from the
 * present. Firing is at least once, like EventBridge's: a worker that dies while firing leaves
 * `firing_at` behind, and another fires that period again once `firing_until` passes; an
 * execution target is named after its period, so that retry starts nothing twice.
 */

export const SCHEDULES_CHANNEL = "functions:schedules";
export type ScheduleTargetKind = "state-machine" | "function";

export interface ScheduleTarget {
  kind: ScheduleTargetKind;
  /** The state machine's or function's name. */
  name: string;
}

export interface ScheduleInput {
  name: string;
  expression: string;
  /** An IANA time zone for cron expressions; default UTC. */
  timezone?: string;
  target: ScheduleTarget;
  /** The JSON text each firing hands the target; default `{}`. */
  input?: string;
  enabled?: boolean;
}

export interface Schedule {
  name: string;
  arn: string;
  expression: string;
  timezone: string;
  target: ScheduleTarget;
  input: string;
  state: "ENABLED" | "DISABLED";
  declared: boolean;
  /** When it fires next (epoch ms); absent when disabled or no time is left (a cron's last year passed). */
  nextFireAt?: number;
  lastFiredAt?: number;
}

interface ScheduleRow {
  name: string;
  expression: string;
  timezone: string;
  target_kind: ScheduleTargetKind;
  target_name: string;
  input: string;
  enabled: number;
  declared: number;
  next_fire_at: number | null;
  firing_at: number | null;
  last_fired_at: number | null;
}

const COLUMNS =
  "name, expression, timezone, target_kind, target_name, input, enabled, declared, next_fire_at, firing_at, last_fired_at";
const NAME = /^[0-9A-Za-z_.-]{1,64}$/;
const MAX_INPUT_BYTES = 262_144;
/** How long a claimed firing may take before another worker takes it over; a function's timeout is added. */
const FIRING_LEASE_MILLIS = 60_000;
/** The longest a scheduler sleeps: changes by other processes on SQLite are seen this late at worst. */
const MAX_SLEEP_MILLIS = 5000;
/** Schedules claimed per transaction. */
const CLAIM_LIMIT = 20;
/** Longest part of the schedule's name an execution name keeps (the rest is the period). */
const EXECUTION_NAME_PREFIX = 60;

/** `column IN (names)` with the names as one parameter `$n`. */
function inNames(dialect: Dialect, column: string, n: number, names: readonly string[]): [string, SqlValue] {
  if (dialect === "postgres") return [`${column} = ANY($${n}::text[])`, names as unknown as SqlValue];
  return [`${column} IN (SELECT value FROM json_each($${n}))`, JSON.stringify(names)];
}

/** EventBridge Scheduler's time format: seconds, UTC, no fraction. */
const isoSeconds = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface SchedulesOptions {
  functions: Functions;
  states: States;
  region?: string;
  accountId?: string;
  now?: () => number;
  /** Firings that failed (the target refused or threw); the schedule goes on. */
  onError?: (error: unknown) => void;
}

export function createSchedules(store: Store, options: SchedulesOptions) {
  const { functions, states } = options;
  const now = options.now ?? Date.now;
  const arnPrefix = `arn:aws:scheduler:${options.region ?? "us-east-1"}:${options.accountId ?? "000000000000"}:schedule/default/`;
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let closed = false;

  const fromRow = (row: ScheduleRow): Schedule => ({
    name: row.name,
    arn: `${arnPrefix}${row.name}`,
    expression: row.expression,
    timezone: row.timezone,
    target: { kind: row.target_kind, name: row.target_name },
    input: row.input,
    state: row.enabled ? "ENABLED" : "DISABLED",
    declared: Boolean(row.declared),
    ...(row.enabled && row.next_fire_at !== null ? { nextFireAt: row.next_fire_at } : {}),
    ...(row.last_fired_at !== null ? { lastFiredAt: row.last_fired_at } : {}),
  });

  const find = async (db: Queryable, name: string) => {
    const [row] = await db.query<ScheduleRow>(`SELECT ${COLUMNS} FROM schedules WHERE name = $1`, [name]);
    return row;
  };

  const get = async (name: string): Promise<Schedule> => {
    const row = await find(store, name);
    if (!row) throw scheduleNotFound(String(name));
    return fromRow(row);
  };

  /** A schedule's settings checked; for an existing one, a function registered only in other processes passes. */
  const check = async (input: ScheduleInput, existing: boolean) => {
    if (typeof input.name !== "string" || !NAME.test(input.name)) {
      throw invalidParameter(
        `Invalid schedule name '${String(input.name)}': use 1 to 64 letters, digits, '.', '-' and '_'.`,
      );
    }
    const timezone = input.timezone ?? "UTC";
    parseScheduleExpression(input.expression, timezone);
    const text = input.input ?? "{}";
    if (typeof text !== "string" || Buffer.byteLength(text, "utf8") > MAX_INPUT_BYTES) {
      throw invalidParameter(
        `The input of schedule '${input.name}' must be JSON text of at most ${MAX_INPUT_BYTES} bytes.`,
      );
    }
    try {
      JSON.parse(text);
    } catch (error) {
      throw invalidParameter(
        `The input of schedule '${input.name}' is not JSON: ${(error as Error).message}`,
      );
    }
    const { kind, name } = input.target ?? {};
    if (kind === "state-machine") await states.machines.byArn(states.machines.arnOf(String(name)));
    else if (kind === "function") {
      if (!existing && !functions.list().some((fn) => fn.name === name)) {
        throw functionNotFound(functions.arnOf(String(name)));
      }
    } else {
      throw invalidParameter(`The target of schedule '${input.name}' must be a state machine or a function.`);
    }
    return { timezone, text };
  };

  /**
   * Writes a schedule. Its next firing is computed anew when it is new, when its expression or
   * time zone changed, or when it is enabled again (EventBridge does not catch up on periods a
   * disabled schedule skipped); otherwise the one already claimed stands.
   */
  const write = async (input: ScheduleInput, declared: boolean, mustBeNew: boolean): Promise<Schedule> => {
    const { timezone, text } = await check(
      input,
      !mustBeNew && (await find(store, input.name)) !== undefined,
    );
    const enabled = input.enabled ?? true;
    await store.transaction(async (tx) => {
      const current = await find(tx, input.name);
      if (current && mustBeNew) {
        throw new FunctionsError("ConflictException", `Schedule ${input.name} already exists.`, 409);
      }
      const at = now();
      const fresh =
        !current ||
        current.expression !== input.expression ||
        current.timezone !== timezone ||
        (enabled && !current.enabled);
      const next = fresh
        ? (nextFireTime(parseScheduleExpression(input.expression, timezone), at, at) ?? null)
        : current.next_fire_at;
      await tx.run(
        `INSERT INTO schedules (name, expression, timezone, target_kind, target_name, input, enabled, declared,
           next_fire_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (name) DO UPDATE SET expression = $2, timezone = $3, target_kind = $4, target_name = $5,
           input = $6, enabled = $7, declared = $8, updated_at = $10,
           next_fire_at = CASE WHEN $11 = 1 THEN $9 ELSE schedules.next_fire_at END`,
        [
          input.name,
          input.expression,
          timezone,
          input.target.kind,
          input.target.name,
          text,
          enabled ? 1 : 0,
          declared ? 1 : 0,
          next,
          at,
          // Unchanged, the schedule keeps the period stored now, not the one read above: another
          // worker may have claimed a firing since (a read here takes no lock).
          fresh ? 1 : 0,
        ],
      );
      tx.signal(SCHEDULES_CHANNEL);
    });
    return get(input.name);
  };

  /** Where a period's firing goes: an execution named after the period, or a function call. */
  const fire = async (row: ScheduleRow, period: number): Promise<void> => {
    const periodText = isoSeconds(period);
    const text = row.input
      .replaceAll("<aws.scheduler.scheduled-time>", periodText)
      .replaceAll("<aws.scheduler.schedule-arn>", `${arnPrefix}${row.name}`)
      .replaceAll("<aws.scheduler.execution-id>", `${row.name}-${period}`);
    if (row.target_kind === "function") {
      await functions.invoke(row.target_name, JSON.parse(text));
      return;
    }
    const name = `${row.name.replaceAll(".", "_").slice(0, EXECUTION_NAME_PREFIX)}-${periodText.replace(/[-:]/g, "")}`;
    try {
      await states.executions.start({
        stateMachineArn: states.machines.arnOf(row.target_name),
        name,
        input: text,
      });
    } catch (error) {
      // Started by an earlier attempt at this period (its worker died before recording it).
      if ((error as Error).name !== "ExecutionAlreadyExists") throw error;
    }
  };

  const leaseOf = (row: ScheduleRow) => {
    const fn =
      row.target_kind === "function" ? functions.list().find((f) => f.name === row.target_name) : undefined;
    return FIRING_LEASE_MILLIS + (fn ? fn.timeoutSeconds * 1000 : 0);
  };

  /** Claims the due schedules this process can fire and fires each once; returns how many fired. */
  const fireDue = async (): Promise<number> => {
    const local = functions.list().map((fn) => fn.name);
    const claimed = await store.transaction(async (tx) => {
      const at = now();
      const [localOnly, names] = inNames(tx.dialect, "target_name", 2, local);
      const rows = await tx.query<ScheduleRow>(
        `SELECT ${COLUMNS} FROM schedules
         WHERE enabled = 1
           AND ((firing_at IS NULL AND next_fire_at <= $1) OR (firing_at IS NOT NULL AND firing_until <= $1))
           AND (target_kind = 'state-machine' OR ${localOnly})
         ORDER BY next_fire_at LIMIT ${CLAIM_LIMIT}${tx.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : ""}`,
        [at, names],
      );
      const taken: Array<{ row: ScheduleRow; period: number }> = [];
      for (const row of rows) {
        // A firing taken over keeps its period; a new one fires the earliest missed period once.
        const period = row.firing_at ?? row.next_fire_at!;
        const next =
          row.firing_at === null
            ? (nextFireTime(parseScheduleExpression(row.expression, row.timezone), at, period) ?? null)
            : row.next_fire_at;
        await tx.run(
          "UPDATE schedules SET firing_at = $2, firing_until = $3, next_fire_at = $4 WHERE name = $1",
          [row.name, period, at + leaseOf(row), next],
        );
        taken.push({ row, period });
      }
      return taken;
    });
    await Promise.all(
      claimed.map(async ({ row, period }) => {
        try {
          await fire(row, period);
        } catch (error) {
          options.onError?.(
            new FunctionsError(
              "Schedule.FiringFailed",
              `Schedule '${row.name}' could not fire its ${row.target_kind} '${row.target_name}' for ${isoSeconds(period)}: ${(error as Error).name}: ${(error as Error).message}`,
            ),
          );
        }
        await store.run(
          "UPDATE schedules SET firing_at = NULL, firing_until = NULL, last_fired_at = $2 WHERE name = $1 AND firing_at = $2",
          [row.name, period],
        );
      }),
    );
    return claimed.length;
  };

  /** Fires what is due, then sleeps until the next firing (or a change), at most MAX_SLEEP_MILLIS. */
  const loop = async () => {
    stopListening = store.listen(SCHEDULES_CHANNEL, () => wake?.());
    while (!closed) {
      try {
        if ((await fireDue()) === CLAIM_LIMIT) continue;
      } catch (error) {
        options.onError?.(error);
      }
      const [row] = await store
        .query<{ at: number | null }>("SELECT MIN(next_fire_at) AS at FROM schedules WHERE enabled = 1")
        .catch(() => [{ at: null }]);
      const wait = Math.min(MAX_SLEEP_MILLIS, Math.max(0, (row?.at ?? Number.POSITIVE_INFINITY) - now()));
      if (closed) break;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };

  return {
    get,
    /** CreateSchedule: a new name, or ConflictException. */
    create: (input: ScheduleInput) => write(input, false, true),
    /** Creates or updates the schedule of a resource file; idempotent. */
    declare: (input: ScheduleInput) => write(input, true, false),
    /** UpdateSchedule: the whole schedule again; `enabled: false` stops its firings at run time. */
    update: (input: ScheduleInput) =>
      get(input.name).then((current) => write(input, current.declared, false)),

    async remove(name: string): Promise<void> {
      await store.transaction(async (tx) => {
        const { changes } = await tx.run("DELETE FROM schedules WHERE name = $1", [name]);
        if (changes === 0) throw scheduleNotFound(String(name));
        tx.signal(SCHEDULES_CHANNEL);
      });
    },

    async list(): Promise<Schedule[]> {
      return (await store.query<ScheduleRow>(`SELECT ${COLUMNS} FROM schedules ORDER BY name`)).map(fromRow);
    },

    /** Disables the declared schedules not in `keep` (a resource file no longer names them). */
    async disableUndeclared(keep: readonly string[]): Promise<string[]> {
      const rows = await store.query<{ name: string }>(
        "SELECT name FROM schedules WHERE declared = 1 AND enabled = 1",
      );
      const gone = rows.map((row) => row.name).filter((name) => !keep.includes(name));
      for (const name of gone) {
        await store.transaction(async (tx) => {
          await tx.run("UPDATE schedules SET enabled = 0, updated_at = $2 WHERE name = $1", [name, now()]);
          tx.signal(SCHEDULES_CHANNEL);
        });
      }
      return gone;
    },

    fireDue,

    /** Starts this process's scheduler; every worker process may run one. */
    start(): void {
      running ??= loop().catch((error) => options.onError?.(error));
    },

    /** Stops firing and waits for firings in progress. */
    async close(): Promise<void> {
      closed = true;
      stopListening?.();
      wake?.();
      await running;
    },
  };
}

export type Schedules = ReturnType<typeof createSchedules>;
