-- The secret store (ingest): credentials sources refer to by name. Only ciphertext is kept:
-- AES-256-GCM under the master key, which never enters the database. `key_id` names the master
-- key a row was sealed under (a fingerprint, not the key) and `scheme` the format of the sealing,
-- so a wrong key is reported as such and a later scheme or key rotation can tell rows apart.
-- Times are epoch milliseconds.

CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  scheme INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  iv BYTEA NOT NULL,
  ciphertext BYTEA NOT NULL,
  tag BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
