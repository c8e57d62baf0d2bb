-- Row-level security for the tables of 0002 (see 0001 and docs/decisions/003).
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON refresh_tokens TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
ALTER TABLE entity_snapshots ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE entity_snapshots FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Snapshots are history: insert and read, never rewrite.
GRANT SELECT, INSERT ON entity_snapshots TO apex_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE entity_snapshots_id_seq TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON entity_snapshots TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
