-- Standard Webhooks (decision 020). Endpoints that exist now were given a
-- secret the legacy way and their receivers check Apex-Signature: they keep
-- both for one release. Endpoints created from now on are "standard".
ALTER TABLE "webhook_endpoints" ADD COLUMN "signature_scheme" text DEFAULT 'legacy+standard' NOT NULL;
--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ALTER COLUMN "signature_scheme" SET DEFAULT 'standard';
