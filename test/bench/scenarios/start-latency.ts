import { eq } from 'drizzle-orm';
import { sessions } from '../../../src/db/schema/index.ts';
import type { BenchEnvironment } from '../environment.ts';
import { benchIp, postSession, seedBenchOrg } from '../fixtures.ts';
import { percentile, waitUntil } from '../stats.ts';

/** REST start → ACTIVE, one at a time: what a person waits for, minus the browser. */
export async function startLatency(env: BenchEnvironment, opts: { samples: number }) {
  const db = env.services.deps.db;
  const { users } = await seedBenchOrg(db, { users: 1, resources: 1 });
  const ack: number[] = [];
  const active: number[] = [];
  for (let i = 0; i < opts.samples; i++) {
    const t0 = performance.now();
    const { id, ms } = await postSession(env.baseUrl, users[0]!.key, benchIp(10_000 + i));
    ack.push(ms);
    await waitUntil(async () => (await db.select({ s: sessions.state }).from(sessions).where(eq(sessions.id, id)))[0]?.s === 'ACTIVE', {
      timeoutMs: 30_000,
      intervalMs: 2,
    });
    active.push(performance.now() - t0);
  }
  return { ackP50: percentile(ack, 50), ackP99: percentile(ack, 99), activeP50: percentile(active, 50), activeP99: percentile(active, 99) };
}
