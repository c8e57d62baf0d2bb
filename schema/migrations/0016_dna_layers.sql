CREATE TABLE "dna_layers" (
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"layer" text NOT NULL,
	"content" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dna_layers_project_id_layer_pk" PRIMARY KEY("project_id","layer")
);
--> statement-breakpoint
ALTER TABLE "dna_layers" ADD CONSTRAINT "dna_layers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dna_layers" ADD CONSTRAINT "dna_layers_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;