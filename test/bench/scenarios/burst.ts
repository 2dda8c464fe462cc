import { and, count, eq, inArray } from 'drizzle-orm';
import { sessions } from '../../../src/db/schema/index.ts';
import type { BenchEnvironment } from '../environment.ts';
import { benchIp, postSession, seedBenchOrg, type ResourceSeeder } from '../fixtures.ts';
import { waitUntil } from '../stats.ts';

/**
 * Many people starting at once on the same firewalls: how long until everyone is ACTIVE, and
 * how well the per-resource controller coalesces provider calls.
 */
export async function burst(
  env: BenchEnvironment,
  opts: { sessions: number; resources: number; providerCalls: () => Record<string, number>; seed?: ResourceSeeder },
) {
  const db = env.services.deps.db;
  const { users } = await seedBenchOrg(db, { users: opts.sessions, resources: opts.resources, seed: opts.seed });
  const callsBefore = opts.providerCalls();
  const t0 = performance.now();
  const started = await Promise.all(users.map((u, i) => postSession(env.baseUrl, u.key, benchIp(i))));
  const ackDone = performance.now() - t0;
  const ids = started.map((s) => s.id);
  await waitUntil(
    async () => {
      const [row] = await db.select({ n: count() }).from(sessions).where(and(inArray(sessions.id, ids), eq(sessions.state, 'PENDING')));
      return row?.n === 0;
    },
    { timeoutMs: 300_000, intervalMs: 25 },
  );
  const [active] = await db.select({ n: count() }).from(sessions).where(and(inArray(sessions.id, ids), eq(sessions.state, 'ACTIVE')));
  const allActiveMs = performance.now() - t0;
  const after = opts.providerCalls();
  const calls = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (callsBefore[k] ?? 0)]));
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  return { allAcceptedMs: ackDone, allActiveMs, active: active?.n ?? 0, calls, total, callsPerSessionResource: total / (opts.sessions * opts.resources) };
}
