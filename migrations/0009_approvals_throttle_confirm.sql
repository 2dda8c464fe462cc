-- Approvals per role (issue 10, point 2): one row per session and role instead of one row per
-- session with an array of roles. Existing rows are carried over: the row keeps the first role,
-- and every further role gets a copy of it (same status, decider, deadline); approval cards
-- already posted are attached to the first role's row.
ALTER TABLE "approvals" DROP CONSTRAINT "approvals_session_id_unique";--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "role_id" uuid;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "role_name" text;--> statement-breakpoint
INSERT INTO "approvals" ("session_id", "role_ids", "role_id", "status", "decider_user_id", "reason", "created_at", "expires_at", "decided_at")
  SELECT a."session_id", '{}'::uuid[], r.role_id, a."status", a."decider_user_id", a."reason", a."created_at", a."expires_at", a."decided_at"
  FROM "approvals" a CROSS JOIN LATERAL unnest(a."role_ids"[2:]) AS r(role_id)
  WHERE a."role_id" IS NULL;--> statement-breakpoint
UPDATE "approvals" SET "role_id" = "role_ids"[1] WHERE "role_id" IS NULL;--> statement-breakpoint
UPDATE "chat_message_refs" m SET "approval_id" = a."id"
  FROM "approvals" a
  WHERE m."kind" = 'approval_card' AND m."approval_id" IS NULL AND a."session_id" = m."session_id"
    AND a."role_id" = a."role_ids"[1];--> statement-breakpoint
UPDATE "approvals" a SET "role_name" = coalesce((SELECT r."name" FROM "roles" r WHERE r."id" = a."role_id"), 'deleted role');--> statement-breakpoint
UPDATE "approvals" SET "role_id" = NULL WHERE "role_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "roles" r WHERE r."id" = "approvals"."role_id");--> statement-breakpoint
ALTER TABLE "approvals" ALTER COLUMN "role_name" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_session_role" ON "approvals" USING btree ("session_id","role_id");--> statement-breakpoint
CREATE INDEX "approvals_pending_expiry" ON "approvals" USING btree ("expires_at") WHERE "approvals"."status" = 'PENDING';--> statement-breakpoint
ALTER TABLE "approvals" DROP COLUMN "role_ids";

--> statement-breakpoint
CREATE TABLE "user_throttle" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_throttle" ADD CONSTRAINT "user_throttle_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "roles" ADD COLUMN "confirm_claim_in_chat" boolean DEFAULT false NOT NULL;
