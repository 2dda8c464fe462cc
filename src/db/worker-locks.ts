import { sql } from 'drizzle-orm';
import type { DbOrTx } from './client.ts';

/** Advisory lock class of liveness locks ("EGW!"): the second key is each worker process's lock_key. */
export const WORKER_LOCK_CLASS = 0x45475721;
/** A process not seen for this long counts as dead even if its connection looks open (a partition). */
export const STALE_AFTER_SECONDS = 20;
/** A lock held by a pool no process ever registered (a crash in its first milliseconds) counts as dead after this. */
export const UNREGISTERED_GRACE_SECONDS = 20;

export interface DeadLocker {
  /** The graphile-worker pool id in `locked_by`. */
  lockedBy: string;
  /** The worker process it belonged to, when it registered. */
  process: string | null;
  jobs: number;
  queues: number;
  /** Seconds since the oldest of its locks was taken. */
  heldSeconds: number;
}

/**
 * graphile-worker lockers (pool ids in `locked_by` of jobs and queues) whose process is dead: its
 * liveness connection no longer holds its advisory lock, or it has not been seen for
 * STALE_AFTER_SECONDS, or it never registered and its locks are older than the grace period.
 */
export async function findDeadLockers(db: DbOrTx): Promise<DeadLocker[]> {
  const rows = await db.execute<{ locked_by: string; process: string | null; jobs: number; queues: number; held_seconds: number }>(sql`
    with held as (
      select locked_by, locked_at, 1 as job, 0 as queue from graphile_worker._private_jobs where locked_by is not null
      union all
      select locked_by, locked_at, 0, 1 from graphile_worker._private_job_queues where locked_by is not null
    ), alive as (
      select w.pool_ids from worker_processes w
      where w.seen_at > now() - make_interval(secs => ${STALE_AFTER_SECONDS})
        and exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.granted and l.objsubid = 2
          and l.classid = ${WORKER_LOCK_CLASS}::oid and l.objid = (w.lock_key::bigint & 4294967295)::oid)
    ), lockers as (
      select h.locked_by, sum(h.job)::int as jobs, sum(h.queue)::int as queues, min(h.locked_at) as since,
        (select w.id from worker_processes w where h.locked_by = any(w.pool_ids) limit 1) as process
      from held h group by h.locked_by
    )
    select locked_by, process, jobs, queues, extract(epoch from now() - since)::int as held_seconds
    from lockers l
    where not exists (select 1 from alive a where l.locked_by = any(a.pool_ids))
      and (l.process is not null or l.since < now() - make_interval(secs => ${UNREGISTERED_GRACE_SECONDS}))`);
  return rows.map((r) => ({ lockedBy: r.locked_by, process: r.process, jobs: r.jobs, queues: r.queues, heldSeconds: r.held_seconds }));
}

/** Releases everything the given lockers hold (graphile-worker's own force_unlock_workers). */
export async function releaseLockers(db: DbOrTx, lockedBy: string[]): Promise<void> {
  if (lockedBy.length === 0) return;
  await db.execute(sql`select graphile_worker.force_unlock_workers(array(select json_array_elements_text(${JSON.stringify(lockedBy)}::json)))`);
  // Released jobs are due at once; wake the workers (graphile-worker's own channel) rather than
  // leave them to their next poll.
  await db.execute(sql`select pg_notify('jobs:insert', '{"r":0,"count":-1}')`);
}

/** Forgets processes that are gone for good (nothing of theirs is held any more once released). */
export async function forgetDeadProcesses(db: DbOrTx, exceptId: string): Promise<void> {
  await db.execute(sql`
    delete from worker_processes w
    where w.id <> ${exceptId} and w.seen_at < now() - make_interval(secs => ${STALE_AFTER_SECONDS})
      and not exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.granted and l.objsubid = 2
        and l.classid = ${WORKER_LOCK_CLASS}::oid and l.objid = (w.lock_key::bigint & 4294967295)::oid)`);
}
