CREATE TABLE "campaign_recipients" (
	"tenant_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"lead_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"detail" text,
	"not_before" timestamp with time zone,
	"claimed_at" timestamp with time zone,
	"message_sid" text,
	"error_code" text,
	"body" text,
	"segments" integer,
	"sent_at" timestamp with time zone,
	"replied_at" timestamp with time zone,
	"opted_out_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_recipients_campaign_id_lead_id_pk" PRIMARY KEY("campaign_id","lead_id")
);
--> statement-breakpoint
CREATE TABLE "contact_history" (
	"tenant_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"last_text_at" timestamp with time zone NOT NULL,
	"last_marketing_at" timestamp with time zone,
	CONSTRAINT "contact_history_tenant_id_phone_pk" PRIMARY KEY("tenant_id","phone")
);
--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_campaign_id_entities_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_lead_id_entities_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_history" ADD CONSTRAINT "contact_history_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_recipients_queue_idx" ON "campaign_recipients" USING btree ("tenant_id","campaign_id","status","not_before");--> statement-breakpoint
CREATE INDEX "campaign_recipients_phone_idx" ON "campaign_recipients" USING btree ("tenant_id","phone","sent_at");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_recipients_message_sid_key" ON "campaign_recipients" USING btree ("message_sid");