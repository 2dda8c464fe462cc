-- A session may hold more than one address of a family (issue 14: "Move my session here" keeps
-- the old rule until its removal is confirmed; "Add this address" holds two at once): rules are
-- unique per session, resource and CIDR instead of per IP version.
DROP INDEX IF EXISTS "session_rules_session_resource_version";--> statement-breakpoint
CREATE UNIQUE INDEX "session_rules_session_resource_cidr" ON "session_rules" USING btree ("session_id","resource_id","cidr");--> statement-breakpoint
-- `approval: { allowAddressChange: true }`: a session this role approved may follow its owner to a new address without asking again.
ALTER TABLE "roles" ADD COLUMN "approval_allows_address_change" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Single-use links to the access check page (like claim links: only the token's hash is kept).
CREATE TABLE "check_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"org_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"action_token_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"acted_at" timestamp with time zone,
	CONSTRAINT "check_links_token_hash_unique" UNIQUE("token_hash")
);--> statement-breakpoint
ALTER TABLE "check_links" ADD CONSTRAINT "check_links_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "check_links" ADD CONSTRAINT "check_links_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "check_links" ADD CONSTRAINT "check_links_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "check_links_expires" ON "check_links" USING btree ("expires_at");
