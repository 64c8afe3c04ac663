-- An email source's address, lower case, kept apart from its settings so that it is unique over
-- all tenants (mail for one address goes to one source) and the SMTP listener finds its source
-- by an index. NULL for every other kind.

ALTER TABLE sources ADD COLUMN email_address TEXT;
CREATE UNIQUE INDEX sources_email_address ON sources (email_address);
