import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import type { JobQueue } from '../engine/ports.ts';

/** Job names, defined once; tasks are registered under the same names (task-list.ts). */
export const JOB = {
  syncResource: 'sync_resource',
  reconcileResource: 'reconcile_resource',
  verifyResource: 'verify_resource',
  verifyAll: 'verify_all',
  expireSession: 'expire_session',
  approvalTimeout: 'approval_timeout',
  expiryWarning: 'expiry_warning',
  notifySession: 'notify_session',
  sweep: 'sweep_overdue',
  reconcileAll: 'reconcile_all',
} as const;

/** One queue per session for its chat updates: they happen in order, never two at once. */
export const sessionQueue = (sessionId: string) => `session:${sessionId}`;

/** One queue per resource: graphile-worker runs a queue's jobs one at a time, so one change at a time per firewall. */
export const resourceQueue = (resourceId: string) => `resource:${resourceId}`;

interface AddJob {
  name: string;
  payload: Record<string, unknown>;
  key?: string;
  queue?: string;
  runAt?: Date | undefined;
  mode?: 'replace' | 'preserve_run_at';
  maxAttempts?: number;
}

/**
 * JobQueue on graphile-worker: every job is added with `graphile_worker.add_job` on the caller's
 * transaction, so it exists exactly when the change that needs it commits.
 */
export function createJobQueue(opts: { notifications: boolean }): JobQueue {
  return {
    async syncResources(tx, resourceIds, o = {}) {
      if (resourceIds.length === 0) return;
      // Sorted: the keyed job rows are shared by every transaction touching a resource, and one
      // global order means two of them can never wait on each other in a cycle.
      const ids = [...new Set(resourceIds)].sort();
      await addJobs(
        tx,
        ids.map((resourceId) => ({
          name: JOB.syncResource,
          payload: { resourceId, attempt: o.attempt ?? 0 },
          key: `${JOB.syncResource}:${resourceId}`,
          queue: resourceQueue(resourceId),
          runAt: o.runAt,
        })),
        // A retry must not push back a sync that new sessions already asked for sooner.
        { preserveRunAt: !!o.runAt },
      );
    },
    async reconcileResource(tx, resourceId) {
      await addJob(tx, {
        name: JOB.reconcileResource,
        payload: { resourceId },
        key: `${JOB.reconcileResource}:${resourceId}`,
        queue: resourceQueue(resourceId),
      });
    },
    async verifyResource(tx, resourceId) {
      await addJob(tx, { name: JOB.verifyResource, payload: { resourceId }, key: `${JOB.verifyResource}:${resourceId}` });
    },
    async expireSession(tx, sessionId, runAt) {
      await addJob(tx, { name: JOB.expireSession, payload: { sessionId }, key: `${JOB.expireSession}:${sessionId}`, runAt });
    },
    async expiryWarning(tx, sessionId, runAt) {
      if (!opts.notifications) return;
      await addJob(tx, { name: JOB.expiryWarning, payload: { sessionId }, key: `${JOB.expiryWarning}:${sessionId}`, runAt });
    },
    async approvalTimeout(tx, sessionId, runAt) {
      await addJob(tx, { name: JOB.approvalTimeout, payload: { sessionId }, key: `${JOB.approvalTimeout}:${sessionId}`, runAt });
    },
    async notifySession(tx, sessionId, event) {
      // Without a chat platform configured there is nobody to tell; don't queue work for no one.
      if (!opts.notifications) return;
      await addJob(tx, { name: JOB.notifySession, payload: { sessionId, event }, queue: sessionQueue(sessionId) });
    },
  };
}

/**
 * graphile-worker writes keyed job rows in an order its query plan picks (not the order given),
 * so two transactions adding the same keys can deadlock each other: seen with a thousand expiries
 * a minute all asking to sync the same two resources. A transaction-scoped advisory lock per key,
 * taken in sorted order before add_job(s), makes every writer of a key wait its turn instead. It is
 * held until commit, like the job row it stands in front of, so it costs no extra waiting.
 */
async function lockJobKeys(tx: DbOrTx, keys: (string | undefined)[]): Promise<void> {
  const sorted = [...new Set(keys.filter((k): k is string => !!k))].sort();
  if (sorted.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(k, 0))
    from (select k from json_array_elements_text(${JSON.stringify(sorted)}::json) as k order by k) as sorted_keys`);
}

/** Many keyed jobs in one statement (graphile_worker.add_jobs has add_job's key semantics). */
async function addJobs(tx: DbOrTx, jobs: AddJob[], opts: { preserveRunAt: boolean }): Promise<void> {
  await lockJobKeys(tx, jobs.map((j) => j.key));
  const specs = jobs.map((j) => ({
    identifier: j.name,
    payload: j.payload,
    queue_name: j.queue ?? null,
    run_at: j.runAt ? j.runAt.toISOString() : null,
    max_attempts: j.maxAttempts ?? 25,
    job_key: j.key ?? null,
  }));
  await tx.execute(sql`select count(*) from graphile_worker.add_jobs(
    array(
      select row(x.identifier, x.payload, x.queue_name, x.run_at, x.max_attempts::smallint, x.job_key, 0::smallint, null::text[])::graphile_worker.job_spec
      from json_to_recordset(${JSON.stringify(specs)}::json)
        as x(identifier text, payload json, queue_name text, run_at timestamptz, max_attempts int, job_key text)
    ),
    ${opts.preserveRunAt}
  )`);
}

async function addJob(tx: DbOrTx, job: AddJob): Promise<void> {
  await lockJobKeys(tx, [job.key]);
  await tx.execute(sql`select graphile_worker.add_job(
    ${job.name},
    ${JSON.stringify(job.payload)}::json,
    queue_name => ${job.queue ?? null},
    run_at => ${job.runAt ? job.runAt.toISOString() : null}::timestamptz,
    max_attempts => ${job.maxAttempts ?? 25},
    job_key => ${job.key ?? null},
    job_key_mode => ${job.mode ?? 'replace'}
  )`);
}
