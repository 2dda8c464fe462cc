-- Issue 11: a reason per session (carried by the claim that starts it), roles that require one,
-- and the approval channels the org file pins (chat `approvals here` may not move those).
ALTER TABLE "claims" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "roles" ADD COLUMN "require_reason" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "roles" ADD COLUMN "pinned_approval_channels" jsonb DEFAULT '{}'::jsonb NOT NULL;