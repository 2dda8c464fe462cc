import type { DbOrTx } from '../db/client.ts';
import { jobOutbox, type OutboxJob } from '../db/schema/index.ts';
import { afterCommit, beforeCommit } from '../db/transaction.ts';
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

/**
 * JobQueue on an outbox: the jobs a transaction asks for are written to job_outbox in that same
 * transaction (one row, just before it commits), so they exist exactly when the change that needs
 * them commits; the relay (job-relay.ts) moves them into graphile-worker right after, deduplicated
 * by key in batches. `onQueued` wakes the relay once the transaction committed.
 */
export function createJobQueue(opts: { notifications: boolean; onQueued?: () => void }): JobQueue {
  const buffers = new WeakMap<object, OutboxJob[]>();
  const wake = () => opts.onQueued?.();

  async function enqueue(tx: DbOrTx, jobs: OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const buffer = buffers.get(tx);
    if (buffer) {
      buffer.push(...jobs);
      return;
    }
    const fresh = [...jobs];
    if (beforeCommit(tx, () => writeOutbox(tx, fresh))) {
      buffers.set(tx, fresh);
      afterCommit(tx, wake);
      return;
    }
    // Not a transaction of ours (the pool, or one opened elsewhere): write now.
    await writeOutbox(tx, fresh);
    wake();
  }

  return {
    async syncResources(tx, resourceIds, o = {}) {
      await enqueue(
        tx,
        [...new Set(resourceIds)].sort().map((resourceId) => ({
          name: JOB.syncResource,
          payload: { resourceId, attempt: o.attempt ?? 0 },
          key: `${JOB.syncResource}:${resourceId}`,
          queue: resourceQueue(resourceId),
          runAt: o.runAt?.toISOString(),
          // A retry must not push back a sync that new sessions already asked for sooner.
          preserveRunAt: !!o.runAt,
        })),
      );
    },
    async reconcileResource(tx, resourceId) {
      await enqueue(tx, [{ name: JOB.reconcileResource, payload: { resourceId }, key: `${JOB.reconcileResource}:${resourceId}`, queue: resourceQueue(resourceId) }]);
    },
    async verifyResource(tx, resourceId) {
      await enqueue(tx, [{ name: JOB.verifyResource, payload: { resourceId }, key: `${JOB.verifyResource}:${resourceId}` }]);
    },
    async expireSession(tx, sessionId, runAt) {
      await enqueue(tx, [{ name: JOB.expireSession, payload: { sessionId }, key: `${JOB.expireSession}:${sessionId}`, runAt: runAt.toISOString() }]);
    },
    async expiryWarning(tx, sessionId, runAt) {
      if (!opts.notifications) return;
      await enqueue(tx, [{ name: JOB.expiryWarning, payload: { sessionId }, key: `${JOB.expiryWarning}:${sessionId}`, runAt: runAt.toISOString() }]);
    },
    async approvalTimeout(tx, sessionId, runAt) {
      await enqueue(tx, [{ name: JOB.approvalTimeout, payload: { sessionId }, key: `${JOB.approvalTimeout}:${sessionId}`, runAt: runAt.toISOString() }]);
    },
    async notifySession(tx, sessionId, event) {
      // Without a chat platform configured there is nobody to tell; don't queue work for no one.
      if (!opts.notifications) return;
      await enqueue(tx, [{ name: JOB.notifySession, payload: { sessionId, event }, queue: sessionQueue(sessionId) }]);
    },
  };
}

async function writeOutbox(tx: DbOrTx, jobs: OutboxJob[]): Promise<void> {
  await tx.insert(jobOutbox).values({ jobs });
}
