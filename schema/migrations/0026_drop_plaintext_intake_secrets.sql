-- Intake secrets leave the DNA (decision 017): they were kept in clear under
-- modules.speedToLead.intake. Apex has not launched, so they are dropped, not
-- moved: each owner rotates the secret of each lead source they use, once.
-- A layer that changes gets a new version, so an editor holding the old ETag
-- reads it again instead of writing the secrets back.
UPDATE dna_layers
SET content = content #- '{modules,speedToLead,intake}', version = version + 1, updated_at = now()
WHERE content #> '{modules,speedToLead}' ? 'intake';
--> statement-breakpoint
-- DNA writes recorded for an Idempotency-Key replay (24 h) kept the whole DNA, secrets included.
DELETE FROM idempotency_effects
WHERE result #> '{dna,modules,speedToLead}' ? 'intake'
   OR result #> '{layers,custom,modules,speedToLead}' ? 'intake'
   OR result #> '{layers,generated,modules,speedToLead}' ? 'intake';
