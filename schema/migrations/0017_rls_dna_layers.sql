-- Row-level security for DNA layers (see 0001 and docs/decisions/003).
ALTER TABLE dna_layers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE dna_layers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON dna_layers TO apex_app;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON dna_layers TO apex_app
  USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
--> statement-breakpoint
-- Speed-to-lead settings move from projects.settings.voice into the custom DNA layer.
INSERT INTO dna_layers (tenant_id, project_id, layer, content)
SELECT tenant_id, id, 'custom', jsonb_build_object('modules', jsonb_build_object('speedToLead', settings->'voice'))
FROM projects WHERE settings ? 'voice'
ON CONFLICT DO NOTHING;
