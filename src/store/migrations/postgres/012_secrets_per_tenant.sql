-- Secrets belong to a tenant: a tenant's sources refer to its own secrets by name, so one tenant
-- can never point a source at another's credentials. Secrets stored before are the default
-- tenant's.

ALTER TABLE secrets ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE secrets ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE secrets DROP CONSTRAINT secrets_pkey;
ALTER TABLE secrets ADD PRIMARY KEY (tenant_id, name);
