-- Row-level security for the tables of 0004 (see 0001 and docs/decisions/003).
ALTER TABLE retention_policies ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE retention_policies FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON retention_policies TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON retention_policies TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
-- The retention cron must find which tenants have policies before it acts as each of them.
GRANT SELECT (tenant_id) ON retention_policies TO apex_system;
--> statement-breakpoint
CREATE POLICY system_access ON retention_policies FOR SELECT TO apex_system USING (true);
--> statement-breakpoint
ALTER TABLE entity_types ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE entity_types FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON entity_types TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON entity_types TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
-- Retention purges and the cold archive remove history with the entity it belongs to.
GRANT DELETE ON entity_snapshots TO apex_app;
