import { isUniqueViolation } from "../store/errors.js";
import type { Queryable } from "../store/types.js";
import { definitionError, validateDefinition } from "./definition/index.js";
import {
  invalidArn,
  invalidDefinition,
  invalidName,
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
  created_at: number;
  updated_at: number;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

const fromRow = (row: MachineRow): StateMachine => ({
  id: row.id,
  name: row.name,
  arn: row.arn,
  type: row.type,
  definitionText: row.definition,
  definition: JSON.parse(row.definition) as MachineDefinition,
  roleArn: row.role_arn,
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

export function createMachines(
  db: Queryable,
  options: { region: string; accountId: string; now: () => number },
) {
  const arnPrefix = `arn:aws:states:${options.region}:${options.accountId}:stateMachine:`;
  const columns = "id, name, arn, type, definition, role_arn, created_at, updated_at";

  const byArn = async (arn: string, tx: Queryable = db): Promise<StateMachine> => {
    if (typeof arn !== "string" || !arn.startsWith("arn:")) throw invalidArn(String(arn));
    const [row] = await tx.query<MachineRow>(
      `SELECT ${columns} FROM state_machines WHERE arn = $1 AND deleted_at IS NULL`,
      [arn],
    );
    if (!row) throw stateMachineDoesNotExist(arn);
    return fromRow(row);
  };

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
    }): Promise<StateMachine> {
      if (typeof input.name !== "string" || !NAME.test(input.name)) throw invalidName(String(input.name));
      const type = input.type ?? "STANDARD";
      checkDefinition(input.definition, type);
      const arn = `${arnPrefix}${input.name}`;
      const roleArn = input.roleArn ?? `arn:aws:iam::${options.accountId}:role/inflow`;
      const existing = await db.query<MachineRow>(
        `SELECT ${columns} FROM state_machines WHERE name = $1 AND deleted_at IS NULL`,
        [input.name],
      );
      const same = (row: MachineRow) => row.definition === input.definition && row.type === type;
      if (existing[0]) {
        if (same(existing[0])) return fromRow(existing[0]);
        throw stateMachineAlreadyExists(arn);
      }
      const now = options.now();
      try {
        await db.run(
          `INSERT INTO state_machines (name, arn, type, definition, role_arn, tags, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
          [input.name, arn, type, input.definition, roleArn, JSON.stringify(input.tags ?? {}), now],
        );
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      return byArn(arn);
    },

    async update(arn: string, changes: { definition?: string; roleArn?: string }): Promise<StateMachine> {
      const machine = await byArn(arn);
      if (changes.definition !== undefined) checkDefinition(changes.definition, machine.type);
      await db.run(
        "UPDATE state_machines SET definition = $1, role_arn = $2, updated_at = $3 WHERE id = $4",
        [
          changes.definition ?? machine.definitionText,
          changes.roleArn ?? machine.roleArn,
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

    async list(): Promise<StateMachine[]> {
      const rows = await db.query<MachineRow>(
        `SELECT ${columns} FROM state_machines WHERE deleted_at IS NULL ORDER BY name`,
      );
      return rows.map(fromRow);
    },
  };
}

export type Machines = ReturnType<typeof createMachines>;
