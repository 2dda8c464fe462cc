CREATE TABLE "worker_processes" (
	"id" text PRIMARY KEY NOT NULL,
	"lock_key" integer NOT NULL,
	"pool_ids" text[] DEFAULT '{}' NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "resource_entries" ADD COLUMN "state" text DEFAULT 'PRESENT' NOT NULL;--> statement-breakpoint
ALTER TABLE "resource_entries" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;