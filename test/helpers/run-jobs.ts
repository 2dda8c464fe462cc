import { sql } from 'drizzle-orm';
import type { TaskList } from 'graphile-worker';
import type { Db } from '../../src/db/client.ts';
import { relayOutbox } from '../../src/jobs/job-relay.ts';
import { runDueJobs } from '../../src/jobs/worker.ts';
import type { Logger } from '../../src/shared/logger.ts';

/** Moves every queued job from the outbox into graphile-worker; returns how many outbox rows there were. */
export async function relayAll(db: Db): Promise<number> {
  let total = 0;
  for (let n = await relayOutbox(db); n > 0; n = await relayOutbox(db)) total += n;
  return total;
}

/**
 * Runs, deterministically, every job due by the test clock, then the jobs those jobs queued, until
 * nothing new is due. graphile-worker compares run_at with the database clock, so jobs due by the
 * test clock are brought forward first. A job that failed waits for its backoff (it is not
 * retried here unless `retryFailed`), like in production; the next call runs it when due.
 */
export async function runJobsUntilQuiet(opts: { db: Db; url: string; taskList: TaskList; logger: Logger; now: () => Date; maxPasses?: number }): Promise<void> {
  // Only what was due when called: a job a task puts off (a 429's Retry-After) waits for a later call.
  await relayAll(opts.db);
  await opts.db.execute(
    sql`update graphile_worker._private_jobs set run_at = now() where run_at <= ${opts.now().toISOString()}::timestamptz and locked_at is null and run_at > now()`,
  );
  for (let pass = 0; pass < (opts.maxPasses ?? 50); pass++) {
    const relayed = await relayAll(opts.db);
    const [due] = await opts.db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker._private_jobs where attempts = 0 and run_at <= now() and locked_at is null`,
    );
    if (!relayed && !due?.n && pass > 0) return;
    await runDueJobs({ connectionString: opts.url, taskList: opts.taskList, logger: opts.logger });
  }
}
