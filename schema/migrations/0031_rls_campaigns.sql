-- Row-level security for campaign recipients and the contact history (see 0001 and docs/decisions/003).
ALTER TABLE campaign_recipients ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE campaign_recipients FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- DELETE: purging an entity (retention) takes its campaign rows with it.
GRANT SELECT, INSERT, UPDATE, DELETE ON campaign_recipients TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON campaign_recipients TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
ALTER TABLE contact_history ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE contact_history FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON contact_history TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON contact_history TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
