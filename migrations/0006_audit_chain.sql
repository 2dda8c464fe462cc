CREATE TABLE "audit_chain" (
	"event_id" bigint PRIMARY KEY NOT NULL,
	"chain_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_chain_heads" (
	"chain_id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text,
	"event_id" bigint
);
--> statement-breakpoint
CREATE UNIQUE INDEX "audit_chain_chain_seq" ON "audit_chain" USING btree ("chain_id","seq");