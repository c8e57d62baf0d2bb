-- Row-level security for invitations (see 0001 and docs/decisions/003).
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON invitations TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON invitations TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
