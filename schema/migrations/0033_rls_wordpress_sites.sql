-- Row-level security for projects' WordPress sites (see 0001 and docs/decisions/003).
ALTER TABLE wordpress_sites ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE wordpress_sites FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON wordpress_sites TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON wordpress_sites TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
