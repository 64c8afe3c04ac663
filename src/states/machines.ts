import { isUniqueViolation } from "../store/errors.js";
import type { Queryable, Store } from "../store/types.js";
import { definitionError, validateDefinition } from "./definition/index.js";
import { parseDefinition } from "./definition-cache.js";
import {
  invalidArn,
  invalidDefinition,
  invalidName,
  ServiceError,
  stateMachineAlreadyExists,
  stateMachineDoesNotExist,
} from "./service-errors.js";
import type { MachineDefinition, StateMachineType } from "./types.js";

export interface StateMachine {
  id: number;
  name: string;
  arn: string;
  type: StateMachineType;
  definitionText: string;
  definition: MachineDefinition;
  roleArn: string;
  /** An Inflow extension: the queue that gets its executions' status change events (status-events.ts). */
  statusQueue: string | null;
  createdAt: number;
  updatedAt: number;
}

interface MachineRow {
  id: number;
  name: string;
  arn: string;
  type: StateMachineType;
  definition: string;
  role_arn: string;
  status_queue: string | null;
  created_at: number;
  updated_at: number;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Tags a resource may carry (Step Functions quota). */
export const MAX_TAGS = 50;

export type Tags = Record<string, string>;

/**
 * TooManyTags and ResourceNotFound name the resource in a member of their own, `resourceName`,
 * which the API sends beside the message.
 */
const withResourceName = (error: ServiceError, arn: string) => Object.assign(error, { resourceName: arn });

const resourceNotFound = (arn: string) =>
  withResourceName(new ServiceError("ResourceNotFound", `Resource not found: '${arn}'`), arn);

function checkTagCount(arn: string, tags: Tags): void {
  const count = Object.keys(tags).length;
  if (count <= MAX_TAGS) return;
  throw withResourceName(
    new ServiceError(
      "TooManyTags",
      `You've exceeded the number of tags allowed for a resource: '${arn}' would have ${count} tags, and at most ${MAX_TAGS} are allowed. Remove some with UntagResource first.`,
    ),
    arn,
  );
}

const fromRow = (row: MachineRow): StateMachine => ({
  id: row.id,
  name: row.name,
  arn: row.arn,
  type: row.type,
  definitionText: row.definition,
  definition: parseDefinition(row.definition),
  roleArn: row.role_arn,
  statusQueue: row.status_queue,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Parses and checks a definition, throwing InvalidDefinition with AWS's message for the first error. */
export function checkDefinition(text: string, type: StateMachineType): MachineDefinition {
  const diagnostics = validateDefinition(text, { type }).filter(
    (diagnostic) => diagnostic.severity === "ERROR",
  );
  if (diagnostics.length > 0) throw invalidDefinition(definitionError(diagnostics).message);
  return JSON.parse(text) as MachineDefinition;
}

export function createMachines(db: Store, options: { region: string; accountId: string; now: () => number }) {
  const arnPrefix = `arn:aws:states:${options.region}:${options.accountId}:stateMachine:`;
  const columns = "id, name, arn, type, definition, role_arn, status_queue, created_at, updated_at";

  const byArn = async (arn: string, tx: Queryable = db): Promise<StateMachine> => {
    if (typeof arn !== "string" || !arn.startsWith("arn:")) throw invalidArn(String(arn));
    const [row] = await tx.query<MachineRow>(
      `SELECT ${columns} FROM state_machines WHERE arn = $1 AND deleted_at IS NULL`,
      [arn],
    );
    if (!row) throw stateMachineDoesNotExist(arn);
    return fromRow(row);
  };

  /** Reads and rewrites a machine's tags under its row lock, so concurrent changes all land. */
  const changeTags = (arn: string, change: (current: Tags) => Tags): Promise<void> =>
    db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number; tags: string }>(
        `SELECT id, tags FROM state_machines WHERE arn = $1 AND deleted_at IS NULL${
          tx.dialect === "postgres" ? " FOR UPDATE" : ""
        }`,
        [arn],
      );
      if (!row) throw resourceNotFound(arn);
      const next = change(JSON.parse(row.tags) as Tags);
      await tx.run("UPDATE state_machines SET tags = $1 WHERE id = $2", [JSON.stringify(next), row.id]);
    });

  return {
    arnOf: (name: string) => `${arnPrefix}${name}`,
    byArn,

    /** Idempotent on an identical name, definition and type, as CreateStateMachine is. */
    async create(input: {
      name: string;
      definition: string;
      type?: StateMachineType;
      roleArn?: string;
      tags?: Record<string, string>;
      /** The queue that gets the executions' status change events (an Inflow extension). */
      statusEventsQueue?: string;
    }): Promise<StateMachine> {
      if (typeof input.name !== "string" || !NAME.test(input.name)) throw invalidName(String(input.name));
      const type = input.type ?? "STANDARD";
      checkDefinition(input.definition, type);
      const arn = `${arnPrefix}${input.name}`;
      checkTagCount(arn, input.tags ?? {});
      const roleArn = input.roleArn ?? `arn:aws:iam::${options.accountId}:role/inflow`;
      const existing = await db.query<MachineRow>(
        `SELECT ${columns} FROM state_machines WHERE name = $1 AND deleted_at IS NULL`,
        [input.name],
      );
      const same = (row: MachineRow) =>
        row.definition === input.definition &&
        row.type === type &&
        row.status_queue === (input.statusEventsQueue ?? null);
      if (existing[0]) {
        if (same(existing[0])) return fromRow(existing[0]);
        throw stateMachineAlreadyExists(arn);
      }
      const now = options.now();
      try {
        await db.run(
          `INSERT INTO state_machines (name, arn, type, definition, role_arn, tags, status_queue, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
          [
            input.name,
            arn,
            type,
            input.definition,
            roleArn,
            JSON.stringify(input.tags ?? {}),
            input.statusEventsQueue ?? null,
            now,
          ],
        );
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      return byArn(arn);
    },

    async update(
      arn: string,
      changes: { definition?: string; roleArn?: string; statusEventsQueue?: string | null },
    ): Promise<StateMachine> {
      const machine = await byArn(arn);
      if (changes.definition !== undefined) checkDefinition(changes.definition, machine.type);
      await db.run(
        "UPDATE state_machines SET definition = $1, role_arn = $2, status_queue = $3, updated_at = $4 WHERE id = $5",
        [
          changes.definition ?? machine.definitionText,
          changes.roleArn ?? machine.roleArn,
          changes.statusEventsQueue === undefined ? machine.statusQueue : changes.statusEventsQueue,
          options.now(),
          machine.id,
        ],
      );
      return byArn(arn);
    },

    async remove(arn: string): Promise<void> {
      await db.run("UPDATE state_machines SET deleted_at = $1 WHERE arn = $2 AND deleted_at IS NULL", [
        options.now(),
        arn,
      ]);
    },

    /** The tags of a live state machine; ResourceNotFound for any other ARN (versions, activities). */
    async tagsOf(arn: string): Promise<Tags> {
      const [row] = await db.query<{ tags: string }>(
        "SELECT tags FROM state_machines WHERE arn = $1 AND deleted_at IS NULL",
        [arn],
      );
      if (!row) throw resourceNotFound(arn);
      return JSON.parse(row.tags) as Tags;
    },

    /** Adds `tags`, replacing the values of keys already there, within the tag quota. */
    tag: (arn: string, tags: Tags) =>
      changeTags(arn, (current) => {
        const next = { ...current, ...tags };
        checkTagCount(arn, next);
        return next;
      }),

    /** Removes the tags with these keys; keys the machine does not have are ignored, as on AWS. */
    untag: (arn: string, keys: readonly string[]) =>
      changeTags(arn, (current) =>
        Object.fromEntries(Object.entries(current).filter(([key]) => !keys.includes(key))),
      ),

    async list(): Promise<StateMachine[]> {
      const rows = await db.query<MachineRow>(
        `SELECT ${columns} FROM state_machines WHERE deleted_at IS NULL ORDER BY name`,
      );
      return rows.map(fromRow);
    },
  };
}

export type Machines = ReturnType<typeof createMachines>;
