-- Row-level security for ticket history (see 0001 and docs/decisions/003).
ALTER TABLE ticket_history ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE ticket_history FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON ticket_history TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON ticket_history TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
