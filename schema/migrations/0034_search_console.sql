ALTER TABLE "wordpress_sites" ADD COLUMN "search_console_property" text;--> statement-breakpoint
ALTER TABLE "wordpress_sites" ADD COLUMN "search_console_sealed_token" text;--> statement-breakpoint
ALTER TABLE "wordpress_sites" ADD COLUMN "search_console_hint" text;