import type { MemoryFirewall } from '../../fakes/memory/memory-provider.ts';
import { reconcileAll, sweepOverdue } from '../../../src/engine/sweep.ts';
import type { BenchEnvironment } from '../environment.ts';
import { seedBenchOrg } from '../fixtures.ts';
import { cpuMeter } from '../machine.ts';
import { seedLiveSessions } from '../seed-sessions.ts';
import { waitUntil } from '../stats.ts';

/**
 * The periodic jobs with many live sessions: N ACTIVE sessions (seeded with SQL) over R resources,
 * each session on `perSession` of them. Times one sweep_overdue (its task body: the engine's
 * sweepOverdue, every minute) and one reconcile_all (reconcileAll, every five minutes) together
 * with the reconcile_resource job it queues per resource, run by the production worker until the
 * queue is empty — the whole cost the crontab adds. CPU: this process (server + worker) and the
 * Postgres backends.
 */
export async function periodicJobs(env: BenchEnvironment, opts: { sessions: number; resources: number; perSession: number; firewall?: MemoryFirewall }) {
  const deps = env.services.deps;
  const world = await seedBenchOrg(deps.db, { users: 50, resources: opts.resources });
  const t0 = performance.now();
  await seedLiveSessions(deps.db, world, { count: opts.sessions, perSession: opts.perSession, firewall: opts.firewall });
  const seedMs = performance.now() - t0;
  await env.admin`analyze`;

  const sweepCpu = await cpuMeter(env.admin);
  const report = await sweepOverdue(deps);
  const sweep = await sweepCpu.stop();

  const recCpu = await cpuMeter(env.admin);
  const tq = performance.now();
  const queued = await reconcileAll(deps);
  const reconcileQueueMs = performance.now() - tq;
  await waitUntil(
    async () => {
      const [row] = await env.admin<{ n: number }[]>`
        select count(*)::int as n from graphile_worker.jobs where task_identifier = 'reconcile_resource'`;
      const [outbox] = await env.admin<{ n: number }[]>`select count(*)::int as n from job_outbox`;
      return row!.n === 0 && outbox!.n === 0;
    },
    { timeoutMs: 600_000, intervalMs: 20 },
  );
  const reconcile = await recCpu.stop();
  return {
    seedMs,
    rules: opts.sessions * opts.perSession,
    sweep,
    sweepReport: report,
    reconcile,
    reconcileQueueMs,
    resourcesReconciled: queued,
  };
}
