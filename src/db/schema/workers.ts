import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every worker process while it runs (jobs/worker-liveness.ts). A process is alive while the
 * connection that registered it still holds its advisory lock (`lock_key`) and it has been seen
 * lately; graphile-worker locks held by the pools of a process that is neither are released.
 */
export const workerProcesses = pgTable('worker_processes', {
  id: text('id').primaryKey(),
  /** The second half of the advisory lock (class WORKER_LOCK_CLASS) its liveness connection holds. */
  lockKey: integer('lock_key').notNull(),
  /** graphile-worker pool ids this process runs (the `locked_by` of its jobs and queues). */
  poolIds: text('pool_ids').array().notNull().default([]),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
});
