import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { TaskList } from 'graphile-worker';
import { relayAll, runJobsUntilQuiet } from '../helpers/run-jobs.ts';
import type { ManualClock } from '../../src/shared/clock.ts';
import type { Logger } from '../../src/shared/logger.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { cookieHeader, csrfField } from '../http/helpers.ts';

/** The parts the Slack and Teams harnesses share: confirming a claim link, and running the worker. */
export function chatHarnessParts(p: { app: FastifyInstance; publicUrl: string; database: TestDatabase; clock: ManualClock; taskList: TaskList; logger: Logger }) {
  const { app, database, clock, taskList, logger } = p;
  return {
    /** Opens the claim link and presses Confirm, from `ip`; returns the POST's status. */
    async confirmClaim(claimUrl: string, ip = '203.0.113.7'): Promise<number> {
      const path = new URL(claimUrl).pathname;
      const page = await app.inject({ method: 'GET', url: path, remoteAddress: ip });
      const res = await app.inject({
        method: 'POST',
        url: path,
        remoteAddress: ip,
        headers: { cookie: cookieHeader(page.headers['set-cookie']), 'content-type': 'application/x-www-form-urlencoded', origin: p.publicUrl },
        payload: `csrf=${encodeURIComponent(csrfField(page.body) ?? '')}`,
      });
      return res.statusCode;
    },
    /** Runs every job due by the test clock, again while fresh jobs are due (failed ones wait for the next call). */
    runJobs: () => runJobsUntilQuiet({ db: database.db, url: database.url, taskList, logger, now: () => clock.now() }),
    /** Queued jobs of a task, with their attempts and last error. */
    async jobsOf(task: string): Promise<{ attempts: number; lastError: string | null }[]> {
      await relayAll(database.db);
      const rows = await database.db.execute<{ attempts: number; last_error: string | null }>(
        sql`select j.attempts, j.last_error from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ${task}`,
      );
      return rows.map((r) => ({ attempts: r.attempts, lastError: r.last_error }));
    },
  };
}
