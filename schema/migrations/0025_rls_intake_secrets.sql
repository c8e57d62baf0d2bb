-- Row-level security for intake secrets (see 0001 and docs/decisions/003, 017).
-- DELETE: revoking a lead source's secret removes its row.
ALTER TABLE intake_secrets ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE intake_secrets FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON intake_secrets TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON intake_secrets TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
