import { sql } from 'drizzle-orm';
import type { EngineDeps } from '../engine/deps.ts';
import { withTimeout } from '../shared/timeout.ts';

/** The database handle, as the engine holds it (http/ does not import db/ directly). */
type Db = EngineDeps['db'];

export interface Readiness {
  database: boolean;
  worker: boolean;
  /** Jobs and queues still locked by worker processes that are gone (released within seconds by any live worker). */
  heldByDeadWorkers?: number | undefined;
  /** Why a check failed, for operators (never shown to end users). */
  detail?: string;
}

export interface ReadinessOptions {
  db: Db;
  /** When a worker runs in this process: whether it is alive. Absent in a web-only process. */
  workerInProcess?: () => boolean;
  /** How long `select 1` may take before the database counts as down. */
  timeoutMs?: number;
  /** Work locked by dead worker processes: how much, and the longest any of it has been held. */
  heldByDeadWorkers?: () => Promise<{ count: number; oldestSeconds: number }>;
}

/** Work held by dead workers this long means no live worker is releasing it: not ready. */
const ABANDONED_AFTER_SECONDS = 60;

/** Jobs overdue longer than this with no worker picking them up mean no worker is running. */
const STALE_JOB_SECONDS = 60;

/**
 * The /readyz check. Database: `select 1` within a short timeout. Worker: in-process, its own
 * liveness; otherwise (web-only) healthy unless jobs have been due for over a minute without any
 * worker locking them. Jobs waiting behind a locked queue (one change at a time per firewall)
 * are not stale: their queue is busy, not abandoned.
 */
export function createReadinessCheck(opts: ReadinessOptions): () => Promise<Readiness> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  return async () => {
    const problems: string[] = [];
    const database = await withTimeout(opts.db.execute(sql`select 1`), timeoutMs).then(
      () => true,
      (err: unknown) => {
        problems.push(`database: ${describe(err)}`);
        return false;
      },
    );
    let worker: boolean;
    if (opts.workerInProcess) {
      worker = opts.workerInProcess();
      if (!worker) problems.push('worker: the in-process worker is not running');
    } else if (!database) {
      worker = false;
      problems.push('worker: unknown while the database is down');
    } else {
      worker = await withTimeout(countStaleJobs(opts.db), timeoutMs).then(
        (stale) => {
          if (stale > 0) problems.push(`worker: ${stale} job(s) due for over ${STALE_JOB_SECONDS}s and not picked up`);
          return stale === 0;
        },
        (err: unknown) => {
          problems.push(`worker: ${describe(err)}`);
          return false;
        },
      );
    }
    let heldByDeadWorkers: number | undefined;
    if (database && opts.heldByDeadWorkers) {
      const held = await withTimeout(opts.heldByDeadWorkers(), timeoutMs).catch(() => undefined);
      heldByDeadWorkers = held?.count;
      if (held && held.count > 0) {
        problems.push(`worker: ${held.count} job(s)/queue(s) held by dead worker processes (oldest lock ${held.oldestSeconds}s)`);
        if (held.oldestSeconds > ABANDONED_AFTER_SECONDS) worker = false;
      }
    }
    const base = { database, worker, ...(heldByDeadWorkers !== undefined ? { heldByDeadWorkers } : {}) };
    return problems.length ? { ...base, detail: problems.join('; ') } : base;
  };
}

async function countStaleJobs(db: Db): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`
    select count(*)::int as n
    from graphile_worker.jobs j
    where j.run_at < now() - make_interval(secs => ${STALE_JOB_SECONDS})
      and j.locked_at is null
      and j.attempts = 0
      and not exists (
        select 1 from graphile_worker._private_job_queues q
        where q.queue_name = j.queue_name and q.locked_at is not null
      )`);
  return Number(rows[0]?.n ?? 0);
}


function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
