import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeadLockers } from '../../src/db/worker-locks.ts';
import { workerProcesses } from '../../src/db/schema/index.ts';
import { createReadinessCheck } from '../../src/http/readiness.ts';
import { startWorkerLiveness, type WorkerLiveness } from '../../src/jobs/worker-liveness.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';

/*
 * Liveness tied to the database connection: locks of a process whose connection is gone are
 * released at once by any live worker; a live process's are never touched; a locker that never
 * registered is given a short grace period.
 */
let t: TestEngine;
let live: WorkerLiveness;
beforeAll(async () => {
  t = await createTestEngine();
  live = await startWorkerLiveness({ url: t.database.url, logger: t.deps.logger, heartbeatMs: 60_000 });
});
afterAll(async () => {
  await live?.stop();
  await t?.close();
});

/** A job (in its own queue) locked by `lockedBy`, `ageSeconds` ago, as a worker mid-job leaves it. */
async function lockedJob(key: string, lockedBy: string, ageSeconds = 0): Promise<void> {
  await t.deps.db.execute(sql`select graphile_worker.add_job('sweep_overdue', '{}'::json, queue_name => ${`q:${key}`}, job_key => ${key})`);
  const at = sql`now() - make_interval(secs => ${ageSeconds})`;
  await t.deps.db.execute(sql`update graphile_worker._private_jobs set locked_by = ${lockedBy}, locked_at = ${at}, attempts = 1 where key = ${key}`);
  await t.deps.db.execute(sql`update graphile_worker._private_job_queues set locked_by = ${lockedBy}, locked_at = ${at} where queue_name = ${`q:${key}`}`);
}

const lockedBy = async (key: string) =>
  (await t.deps.db.execute<{ locked_by: string | null }>(sql`select locked_by from graphile_worker._private_jobs where key = ${key}`))[0]?.locked_by;

describe('worker liveness', () => {
  it('releases at once the job and queue of a process whose connection is gone, and never a live one’s', async () => {
    // A registered process whose liveness lock nobody holds: it was killed.
    await t.deps.db.insert(workerProcesses).values({ id: 'egw-dead', lockKey: 12345, poolIds: ['pool-dead'], host: 'h', pid: 1 });
    await lockedJob('dead-job', 'pool-dead');
    await live.addPool('pool-alive');
    await lockedJob('live-job', 'pool-alive');

    const dead = await findDeadLockers(t.deps.db);
    expect(dead.map((d) => [d.lockedBy, d.process, d.jobs, d.queues])).toEqual([['pool-dead', 'egw-dead', 1, 1]]);
    const report = await live.reap();
    expect(report.released).toEqual([{ lockedBy: 'pool-dead', jobs: 1, queues: 1, process: 'egw-dead' }]);
    expect(await lockedBy('dead-job')).toBeNull();
    expect(await lockedBy('live-job')).toBe('pool-alive');
  });

  it('a pool of this process that stopped is forgotten and what it held released at once, though the process lives', async () => {
    await live.addPool('pool-stopped');
    await lockedJob('stopped-job', 'pool-stopped');
    expect((await findDeadLockers(t.deps.db)).map((d) => d.lockedBy)).not.toContain('pool-stopped');
    await live.retirePools(['pool-stopped']);
    expect(await lockedBy('stopped-job')).toBeNull();
    const [me] = await t.deps.db.select().from(workerProcesses).where(eq(workerProcesses.id, live.id));
    expect(me!.poolIds).not.toContain('pool-stopped');
  });

  it('gives a locker that never registered a grace period, then releases it', async () => {
    await lockedJob('young', 'pool-unknown-young', 2);
    await lockedJob('old', 'pool-unknown-old', 60);
    await live.reap();
    expect(await lockedBy('young')).toBe('pool-unknown-young');
    expect(await lockedBy('old')).toBeNull();
  });

  it('a process not seen for too long counts as dead even while its lock looks held (a partition)', async () => {
    await live.addPool('pool-partitioned');
    await lockedJob('partitioned', 'pool-partitioned');
    await t.deps.db.execute(sql`update worker_processes set seen_at = now() - interval '1 minute' where id = ${live.id}`);
    expect((await findDeadLockers(t.deps.db)).map((d) => d.lockedBy)).toContain('pool-partitioned');
    await t.deps.db.execute(sql`update worker_processes set seen_at = now() where id = ${live.id}`);
    expect((await findDeadLockers(t.deps.db)).map((d) => d.lockedBy)).not.toContain('pool-partitioned');
  });

  it('/readyz reports work held by dead workers, and is not ready once nobody has released it for a minute', async () => {
    await t.deps.db.insert(workerProcesses).values({ id: 'egw-gone', lockKey: 54321, poolIds: ['pool-gone'], host: 'h', pid: 1 });
    const check = createReadinessCheck({
      db: t.deps.db,
      heldByDeadWorkers: async () => {
        const dead = await findDeadLockers(t.deps.db);
        return { count: dead.reduce((n, d) => n + d.jobs + d.queues, 0), oldestSeconds: Math.max(0, ...dead.map((d) => d.heldSeconds)) };
      },
    });
    await lockedJob('gone-fresh', 'pool-gone', 1);
    expect(await check()).toMatchObject({ worker: true, heldByDeadWorkers: 2 });
    await lockedJob('gone-old', 'pool-gone', 120);
    expect(await check()).toMatchObject({ worker: false, heldByDeadWorkers: 4 });
    await live.reap();
    expect(await check()).toMatchObject({ worker: true, heldByDeadWorkers: 0 });
  });
});
