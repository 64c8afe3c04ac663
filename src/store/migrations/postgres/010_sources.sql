-- Ingestion sources per tenant (ftp, sftp, email, folder ...): settings as JSON text, a schedule
-- expression (rate/cron), and the record of their polls. What each source took is remembered
-- twice: by listing (path, size, modification time: a re-poll skips it without fetching) and by
-- content hash (the same bytes under another name are not taken again). Times are epoch ms;
-- booleans 0/1.

CREATE TABLE sources (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  settings TEXT NOT NULL,
  schedule TEXT,
  enabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  last_poll_at BIGINT,
  files_taken BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE source_files (
  tenant_id TEXT NOT NULL,
  source_name TEXT NOT NULL,
  path TEXT NOT NULL,
  size BIGINT NOT NULL,
  mtime BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  container_id TEXT,
  taken_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, source_name, path, size, mtime)
);

-- One row per content a source took: inserted before the container is made, so two polls at
-- once cannot both make one of the same bytes.
CREATE TABLE source_hashes (
  tenant_id TEXT NOT NULL,
  source_name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  container_id TEXT,
  taken_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, source_name, sha256)
);
