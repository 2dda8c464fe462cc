import { sql } from 'drizzle-orm';
import { transaction } from '../../../src/db/transaction.ts';
import type { MemoryFirewall } from '../../fakes/memory/memory-provider.ts';
import type { BenchEnvironment } from '../environment.ts';
import { seedBenchOrg } from '../fixtures.ts';
import { seedLiveSessions } from '../seed-sessions.ts';
import { percentile, waitUntil } from '../stats.ts';
import { countIn } from './burst.ts';

/**
 * N live sessions whose ends fall in the same minute: the lag between `expiresAt` and the moment
 * their rules are gone (state EXPIRED), with the production worker and its one-minute sweep. The
 * sessions are seeded with SQL (ACTIVE, rules applied, entries on the firewall): the subject is
 * expiry, not the start path. Each gets its expire_session job exactly as a start or an extension
 * queues it.
 */
export async function expiryLag(
  env: BenchEnvironment,
  opts: { sessions: number; spreadSeconds: number; leadSeconds: number; resources: number; firewall?: MemoryFirewall; users?: number },
) {
  const deps = env.services.deps;
  const world = await seedBenchOrg(deps.db, { users: opts.users ?? 50, resources: opts.resources });
  const ids = await seedLiveSessions(deps.db, world, { count: opts.sessions, perSession: opts.resources, firewall: opts.firewall });

  // Bring every end into the coming minute, exactly as an extension or a short session would: in
  // EntryGuard's own transactions (their jobs go to the outbox in one row each), 1,000 at a time.
  const base = Date.now() + opts.leadSeconds * 1000;
  const ends = ids.map((_id, i) => new Date(base + Math.floor((i / ids.length) * opts.spreadSeconds * 1000)));
  for (let from = 0; from < ids.length; from += 1000) {
    const chunk = ids.slice(from, from + 1000).map((id, k) => ({ id, at: ends[from + k]! }));
    await transaction(deps.db, async (tx) => {
      await tx.execute(sql`update sessions set expires_at = x.at::timestamptz
        from json_to_recordset(${JSON.stringify(chunk.map((c) => ({ id: c.id, at: c.at.toISOString() })))}::json) as x(id uuid, at text)
        where sessions.id = x.id`);
      for (const c of chunk) await deps.jobs.expireSession(tx, c.id, c.at);
    });
  }
  const queuedLate = Date.now() - base;
  await waitUntil(async () => (await countIn(env, ids, 'EXPIRED')) === ids.length, { timeoutMs: (opts.spreadSeconds + 300) * 1000, intervalMs: 200 });
  const rows = await deps.db.execute<{ lag_ms: number }>(
    sql`select extract(epoch from (updated_at - expires_at)) * 1000 as lag_ms from sessions where id in ${sql.raw(`('${ids.join("','")}')`)}`,
  );
  const lags = rows.map((r) => Number(r.lag_ms));
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags), queuedLateMs: Math.max(0, queuedLate) };
}
