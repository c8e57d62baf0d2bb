CREATE TABLE "twilio_subaccounts" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"account_sid" text NOT NULL,
	"sealed_auth_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "twilio_subaccounts_account_sid_unique" UNIQUE("account_sid")
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tracking_numbers" ADD COLUMN "origin" text DEFAULT 'typed' NOT NULL;--> statement-breakpoint
ALTER TABLE "tracking_numbers" ADD COLUMN "phone_number_sid" text;--> statement-breakpoint
ALTER TABLE "twilio_subaccounts" ADD CONSTRAINT "twilio_subaccounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;