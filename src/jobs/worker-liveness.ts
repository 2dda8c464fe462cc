import { randomBytes, randomInt } from 'node:crypto';
import os from 'node:os';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { schema } from '../db/client.ts';
import { WORKER_LOCK_CLASS, findDeadLockers, forgetDeadProcesses, releaseLockers } from '../db/worker-locks.ts';
import type { Logger } from '../shared/logger.ts';

/** A kill is visible at once (its lock is gone); checking every second bounds what a dead worker holds to about that. */
const HEARTBEAT_MS = 1_000;

export interface WorkerLiveness {
  readonly id: string;
  /** Records a graphile-worker pool of this process, so its locks are known to be ours. */
  addPool(poolId: string): Promise<void>;
  /** Forgets pools of this process that stopped, and releases what they held, at once. */
  retirePools(poolIds: string[]): Promise<void>;
  /** Releases whatever dead workers hold, now (also done at start and on every heartbeat). */
  reap(): Promise<ReapReport>;
  /** Deregisters (after the pools stopped) and closes the liveness connection. */
  stop(): Promise<void>;
}

export interface ReapReport {
  /** Dead lockers whose jobs and queues were released, with how many of each they held. */
  released: { lockedBy: string; jobs: number; queues: number; process?: string | undefined }[];
}

/**
 * Liveness of worker processes, tied to their Postgres connection: each process registers in
 * worker_processes and holds a session advisory lock on a dedicated connection. A kill -9, an OOM
 * or a lost connection ends the session and with it the lock, so every other worker sees at once
 * that the process is gone, and releases the jobs and queues its pools had locked (graphile-worker
 * itself would wait four hours). A heartbeat also covers a partition that leaves the connection
 * looking open. Reaping runs at start and every few seconds in every worker.
 */
export async function startWorkerLiveness(opts: { url: string; logger: Logger; heartbeatMs?: number }): Promise<WorkerLiveness> {
  const sql = postgres(opts.url, { max: 1, onnotice: () => {}, connection: { application_name: 'entryguard-liveness' } });
  const db = drizzle(sql, { schema });
  const id = `egw-${randomBytes(6).toString('hex')}`;
  const lockKey = randomInt(-(2 ** 31), 2 ** 31);
  const pools = new Set<string>();
  const log = opts.logger.child({ component: 'liveness', workerProcess: id });

  /** Holds the lock on this session (again after a reconnect) and marks us seen; re-registers if we were reaped. */
  async function heartbeat(): Promise<void> {
    await sql.begin(async (tx) => {
      const [held] = await tx<{ held: boolean }[]>`
        select exists (select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()
          and classid = ${WORKER_LOCK_CLASS}::oid and objid = ${lockKey >>> 0}::oid and objsubid = 2) as held`;
      if (!held?.held) {
        const [got] = await tx<{ ok: boolean }[]>`select pg_try_advisory_lock(${WORKER_LOCK_CLASS}::int, ${lockKey}::int) as ok`;
        if (!got?.ok) throw new Error(`liveness lock ${lockKey} is held by another session`);
      }
      await tx`
        insert into worker_processes (id, lock_key, pool_ids, host, pid)
        values (${id}, ${lockKey}, ${[...pools]}, ${os.hostname()}, ${process.pid})
        on conflict (id) do update set seen_at = now(), pool_ids = excluded.pool_ids`;
    });
  }

  async function reap(): Promise<ReapReport> {
    const dead = await findDeadLockers(db);
    await releaseLockers(db, dead.map((d) => d.lockedBy));
    for (const d of dead) {
      log.warn(
        { lockedBy: d.lockedBy, deadProcess: d.process ?? undefined, jobs: d.jobs, queues: d.queues },
        `released ${d.jobs} job(s) and ${d.queues} queue(s) held by dead worker ${d.process ?? d.lockedBy}`,
      );
    }
    await forgetDeadProcesses(db, id);
    return { released: dead.map((d) => ({ lockedBy: d.lockedBy, jobs: d.jobs, queues: d.queues, process: d.process ?? undefined })) };
  }

  await heartbeat();
  await reap();
  let stopped = false;
  let beat: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    beat = heartbeat()
      .then(reap)
      .catch((err: unknown) => log.warn({ err }, 'worker heartbeat failed; will try again'));
  }, opts.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();

  return {
    id,
    async addPool(poolId) {
      pools.add(poolId);
      await sql`update worker_processes set pool_ids = array_append(pool_ids, ${poolId}) where id = ${id} and not (${poolId} = any(pool_ids))`;
    },
    reap,
    async retirePools(poolIds) {
      if (poolIds.length === 0) return;
      for (const p of poolIds) pools.delete(p);
      await sql`update worker_processes set pool_ids = ${[...pools]} where id = ${id}`;
      await releaseLockers(db, poolIds);
      log.warn({ pools: poolIds }, 'released the jobs and queues of a worker pool of this process that stopped');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await beat;
      await sql`delete from worker_processes where id = ${id}`.catch(() => {});
      await sql.end({ timeout: 5 });
    },
  };
}
