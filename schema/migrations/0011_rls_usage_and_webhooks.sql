-- Row-level security for the usage ledger and outbound webhooks (see 0001 and docs/decisions/003).
-- usage_events and webhook_attempts are append-only for the application role.
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT ON usage_events TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON usage_events TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON webhook_endpoints TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON webhook_endpoints TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON webhook_deliveries TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT ON webhook_attempts TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON webhook_attempts TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
GRANT USAGE ON SEQUENCE webhook_attempts_id_seq TO apex_app;
