-- Row-level security for tenants' Twilio subaccounts (see 0001 and docs/decisions/003, 024).
-- The auth token is sealed; the row is the tenant's alone. UPDATE: a token rotated at Twilio is re-sealed.
ALTER TABLE twilio_subaccounts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE twilio_subaccounts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON twilio_subaccounts TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON twilio_subaccounts TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
-- A number bought or attached through Apex records its Twilio sid; releasing it deletes the claim.
GRANT UPDATE ON tracking_numbers TO apex_app;
