-- Secrets belong to a tenant: a tenant's sources refer to its own secrets by name, so one tenant
-- can never point a source at another's credentials. Secrets stored before are the default
-- tenant's. SQLite cannot change a primary key in place: the table is rebuilt.

CREATE TABLE secrets_by_tenant (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  scheme INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  iv BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  tag BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

INSERT INTO secrets_by_tenant (tenant_id, name, scheme, key_id, iv, ciphertext, tag, created_at, updated_at)
SELECT 'default', name, scheme, key_id, iv, ciphertext, tag, created_at, updated_at FROM secrets;

DROP TABLE secrets;
ALTER TABLE secrets_by_tenant RENAME TO secrets;
