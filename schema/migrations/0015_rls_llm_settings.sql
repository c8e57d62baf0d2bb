-- Row-level security for LLM settings (see 0001 and docs/decisions/003).
ALTER TABLE llm_settings ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE llm_settings FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON llm_settings TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON llm_settings TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
