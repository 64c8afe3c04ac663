/** Raised when the store cannot be opened or migrated; the message says what to fix. */
export class StoreError extends Error {
  override readonly name = "Store.OpenFailed";
}

export class MigrationError extends Error {
  override readonly name = "Store.MigrationFailed";
}

/** Whether a database error is a unique-constraint violation, on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
