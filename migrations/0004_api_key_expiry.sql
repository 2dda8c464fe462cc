-- Every API key expires. Keys created before expiry became mandatory get 90 days from this
-- upgrade (not from their creation, which would cut off old keys without warning): time to
-- rotate them. Revoked keys get a date too; they stay refused either way.
UPDATE "api_keys" SET "expires_at" = now() + interval '90 days' WHERE "expires_at" IS NULL;
--> statement-breakpoint
ALTER TABLE "api_keys" ALTER COLUMN "expires_at" SET NOT NULL;
