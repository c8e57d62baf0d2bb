-- Row-level security for tracking-number claims (see 0001 and docs/decisions/003).
-- The primary key on `number` is global: a claim another tenant holds makes an
-- INSERT … ON CONFLICT DO NOTHING insert nothing, though its row stays invisible.
ALTER TABLE tracking_numbers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tracking_numbers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON tracking_numbers TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tracking_numbers TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
-- Numbers projects already use: the earliest project keeps a number two tenants named.
INSERT INTO tracking_numbers (number, tenant_id, project_id, claimed_at)
SELECT content->'modules'->'speedToLead'->>'trackingNumber', tenant_id, project_id, updated_at
FROM dna_layers
WHERE layer = 'custom' AND content->'modules'->'speedToLead'->>'trackingNumber' IS NOT NULL
ORDER BY updated_at
ON CONFLICT (number) DO NOTHING;
