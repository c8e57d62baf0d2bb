-- Row-level security for idempotency effects (see 0001 and docs/decisions/003, 013).
-- DELETE: a tenant's own expired keys are pruned in the same transactions that record new ones.
ALTER TABLE idempotency_effects ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE idempotency_effects FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON idempotency_effects TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON idempotency_effects TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
