-- Row-level security: the second wall behind the application's own filters.
-- The application never acts as the table owner. Each transaction switches to
-- one of two NOLOGIN roles (schema/tenant-transaction.ts):
--   apex_app    tenant-scoped work; sees rows whose tenant_id equals the
--               transaction-local setting app.tenant_id, and nothing without it.
--   apex_system the few cross-tenant lookups identity needs before a tenant is
--               known (API key by hash, user by email, signup).
-- FORCE makes the policies bind the table owner too.
DO $$ BEGIN
  CREATE ROLE apex_app NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
--> statement-breakpoint
DO $$ BEGIN
  CREATE ROLE apex_system NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
--> statement-breakpoint
-- The connecting role must be allowed to SET ROLE to both.
DO $$ BEGIN
  EXECUTE format('GRANT apex_app, apex_system TO %I', current_user);
EXCEPTION WHEN others THEN NULL; END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO apex_app, apex_system;
--> statement-breakpoint
CREATE FUNCTION app_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE
  -- '' (not NULL) is what a custom setting reads after a transaction that set it.
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app_current_tenant() TO apex_app, apex_system;
--> statement-breakpoint
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, UPDATE ON tenants TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenants TO apex_app
  USING (id = app_current_tenant()) WITH CHECK (id = app_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT ON tenants TO apex_system;
--> statement-breakpoint
CREATE POLICY system_access ON tenants TO apex_system USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON projects TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON projects TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT ON projects TO apex_system;
--> statement-breakpoint
CREATE POLICY system_access ON projects TO apex_system USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON memberships TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
GRANT SELECT, INSERT ON memberships TO apex_system;
--> statement-breakpoint
CREATE POLICY system_access ON memberships TO apex_system USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Users are global identities: a tenant sees the users that are its members.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT ON users TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_members ON users FOR SELECT TO apex_app
  USING (id IN (SELECT user_id FROM memberships WHERE tenant_id = app_current_tenant()));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON users TO apex_system;
--> statement-breakpoint
CREATE POLICY system_access ON users TO apex_system USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON api_keys TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON api_keys TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
GRANT SELECT, UPDATE (last_used_at) ON api_keys TO apex_system;
--> statement-breakpoint
CREATE POLICY system_access ON api_keys TO apex_system USING (true) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE entities ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE entities FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON entities TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON entities TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
ALTER TABLE relationships ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE relationships FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON relationships TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON relationships TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
-- The audit log is append-only for the application: no UPDATE, no DELETE grant.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_log TO apex_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE audit_log_id_seq TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON audit_log TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
