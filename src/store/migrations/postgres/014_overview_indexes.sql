-- What the dashboard's overview counts, per tenant, without reading every row: containers by
-- state, files received and invoices created since a time.

CREATE INDEX containers_tenant_state ON containers (tenant_id, state);
CREATE INDEX containers_tenant_received ON containers (tenant_id, received_at);
CREATE INDEX invoices_tenant_created ON invoices (tenant_id, created_at);
