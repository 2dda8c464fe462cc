import { bigserial, jsonb, pgTable, timestamp } from 'drizzle-orm/pg-core';

/** A job as a use case asked for it, before the relay hands it to graphile-worker (jobs/job-relay.ts). */
export interface OutboxJob {
  name: string;
  payload: Record<string, unknown>;
  key?: string | undefined;
  queue?: string | undefined;
  /** ISO time; absent = now. */
  runAt?: string | undefined;
  /** With a key: keep an earlier run_at of the job already there (a retry must not postpone a sooner run). */
  preserveRunAt?: boolean | undefined;
}

/**
 * The jobs a transaction queued, written in that same transaction (one row per transaction) and
 * moved into graphile-worker right after it commits. Insert-only: unlike adding the jobs
 * themselves, writing here takes no lock another start waits on and sends no NOTIFY, whose
 * commit-time lock would serialise every start.
 */
export const jobOutbox = pgTable('job_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  jobs: jsonb('jobs').$type<OutboxJob[]>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
