-- Row-level security for the opt-out ledger (see 0001 and docs/decisions/003).
ALTER TABLE opt_outs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE opt_outs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON opt_outs TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON opt_outs TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
