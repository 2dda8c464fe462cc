import { sql } from 'drizzle-orm';
import type { DbOrTx } from './client.ts';
import { findDeadLockers, STALE_AFTER_SECONDS } from './worker-locks.ts';

/** Due jobs waiting for a worker, per task: how many, and how long the oldest has been due. */
export interface JobBacklog {
  task: string;
  due: number;
  oldestDueSeconds: number;
}

/**
 * Jobs that are due, not being worked on and not given up on (graphile-worker's own tables), by
 * task. Read at scrape time: a backlog that grows while workers run means they cannot keep up;
 * one that grows with none running means no worker is there.
 */
export async function jobBacklog(db: DbOrTx): Promise<JobBacklog[]> {
  const rows = await db.execute<{ task: string; due: number; oldest: number }>(sql`
    select task_identifier as task, count(*)::int as due,
      coalesce(extract(epoch from now() - min(run_at)), 0)::float8 as oldest
    from graphile_worker.jobs
    where run_at <= now() and locked_at is null and attempts < max_attempts
    group by task_identifier`);
  return rows.map((r) => ({ task: r.task, due: Number(r.due), oldestDueSeconds: Math.max(0, Number(r.oldest)) }));
}

/** Jobs and queues locked by worker processes that are gone, and the longest any has been held. */
export async function workHeldByDeadWorkers(db: DbOrTx): Promise<{ count: number; oldestSeconds: number }> {
  const dead = await findDeadLockers(db);
  return { count: dead.reduce((n, d) => n + d.jobs + d.queues, 0), oldestSeconds: Math.max(0, ...dead.map((d) => d.heldSeconds)) };
}

/**
 * Firewall rules whose removal the provider refused and that are being retried (session rules
 * REMOVING with an error: sync-resource.ts marks them), per provider kind: one per resource and
 * CIDR, since several sessions may share one cloud rule.
 */
export async function failingRemovals(db: DbOrTx): Promise<Record<string, number>> {
  const rows = await db.execute<{ kind: string; n: number }>(sql`
    select res.kind, count(distinct (r.resource_id, r.cidr))::int as n
    from session_rules r join resources res on res.id = r.resource_id
    where r.state = 'REMOVING' and r.error is not null
    group by res.kind`);
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

/** Active resources whose last verification failed, per provider kind. */
export async function failingVerifications(db: DbOrTx): Promise<Record<string, number>> {
  const rows = await db.execute<{ kind: string; n: number }>(sql`
    select kind, count(*)::int as n from resources
    where is_active and verify_error is not null
    group by kind`);
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

/** Worker processes seen within STALE_AFTER_SECONDS (worker-liveness heartbeats every second). */
export async function liveWorkerCount(db: DbOrTx): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from worker_processes where seen_at > now() - make_interval(secs => ${STALE_AFTER_SECONDS})`);
  return Number(rows[0]?.n ?? 0);
}
