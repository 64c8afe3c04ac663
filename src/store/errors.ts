/** Raised when the store cannot be opened or migrated; the message says what to fix. */
export class StoreError extends Error {
  override readonly name = "Store.OpenFailed";
}

export class MigrationError extends Error {
  override readonly name = "Store.MigrationFailed";
}
