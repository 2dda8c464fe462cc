import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { sessions } from '../../../src/db/schema/index.ts';
import { startSession } from '../../../src/engine/start-session.ts';
import type { BenchEnvironment } from '../environment.ts';
import { benchIp, seedBenchOrg } from '../fixtures.ts';
import { percentile, waitUntil } from '../stats.ts';

/**
 * N sessions whose ends fall in the same minute: the lag between `expiresAt` and the moment
 * their rules are gone (state EXPIRED), with the production worker and its one-minute sweep.
 */
export async function expiryLag(env: BenchEnvironment, opts: { sessions: number; spreadSeconds: number; users?: number }) {
  const deps = env.services.deps;
  const { users } = await seedBenchOrg(deps.db, { users: opts.users ?? 50, resources: 2 });
  const ids: string[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const u = users[i % users.length]!;
    const actor = { type: 'system' as const, orgId: u.orgId, userId: u.id, label: 'bench' };
    ids.push(await startSession(deps, { orgId: u.orgId, userId: u.id, durationMinutes: 60, ipv4: benchIp(20_000 + i), origin: 'api', actor }));
  }
  await waitUntil(async () => (await countIn(env, ids, 'ACTIVE')) === ids.length, { timeoutMs: 180_000, intervalMs: 100 });

  // Bring every end into the coming minute, exactly as an extension or a short session would.
  const base = Date.now() + 5_000;
  await deps.db.transaction(async (tx) => {
    for (let i = 0; i < ids.length; i++) {
      const expiresAt = new Date(base + Math.floor((i / ids.length) * opts.spreadSeconds * 1000));
      await tx.update(sessions).set({ expiresAt }).where(eq(sessions.id, ids[i]!));
      await deps.jobs.expireSession(tx, ids[i]!, expiresAt);
    }
  });
  await waitUntil(async () => (await countIn(env, ids, 'EXPIRED')) === ids.length, { timeoutMs: (opts.spreadSeconds + 120) * 1000, intervalMs: 200 });
  const rows = await deps.db.execute<{ lag_ms: number }>(
    sql`select extract(epoch from (updated_at - expires_at)) * 1000 as lag_ms from sessions where id in ${sql.raw(`('${ids.join("','")}')`)}`,
  );
  const lags = rows.map((r) => Number(r.lag_ms));
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags) };
}

async function countIn(env: BenchEnvironment, ids: string[], state: 'ACTIVE' | 'EXPIRED') {
  const [row] = await env.services.deps.db.select({ n: count() }).from(sessions).where(and(inArray(sessions.id, ids), eq(sessions.state, state)));
  return row?.n ?? 0;
}
