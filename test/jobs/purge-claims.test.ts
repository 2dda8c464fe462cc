import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, claims, sessions } from '../../src/db/schema/index.ts';
import { confirmClaim, createClaim } from '../../src/engine/claims.ts';
import { CRONTAB } from '../../src/jobs/task-list.ts';
import { hashToken } from '../../src/shared/tokens.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

/*
 * Issue 10 point 16: claims lived forever. A periodic job (purge_claims, in the crontab) deletes
 * unused claims a day after they expired and used ones a week after their session ended; claims
 * of live sessions stay (chat notifications read where to post from them).
 */
let t: TestEngine;
let fx: { orgId: string; users: Awaited<ReturnType<typeof seedUser>>[] };

beforeAll(async () => {
  t = await createTestEngine();
  const org = await seedOrg(t.deps.db, { plan: 'business' });
  const users = [];
  for (let i = 0; i < 4; i++) users.push(await seedUser(t.deps.db, org.id));
  const r = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: users.map((u) => u.id), resources: [r.id] });
  fx = { orgId: org.id, users };
});
afterAll(() => t.close());

const DAY = 24 * 60 * 60_000;
const newClaim = async (i: number) =>
  createClaim(t.deps, { orgId: fx.orgId, userId: fx.users[i]!.id, durationMinutes: 60, origin: 'api', ttlSeconds: 300, actor: actorOf(fx.users[i]!) });
const claimOf = async (token: string) => (await t.deps.db.select().from(claims).where(eq(claims.tokenHash, hashToken(token))))[0];

async function purgeNow(): Promise<void> {
  await t.deps.db.execute(sql`select graphile_worker.add_job('purge_claims', '{}'::json)`);
  await t.runJobs();
}

describe('purge_claims', () => {
  it('runs every hour from the crontab', () => {
    expect(CRONTAB.split('\n')).toContain('17 * * * * purge_claims');
  });

  it('deletes unused claims a day after they expired and used ones a week after their session ended, and keeps the rest', async () => {
    const unused = await newClaim(0);
    const live = await newClaim(1);
    await confirmClaim(t.deps, { token: live.token, ip: '203.0.113.61' });
    const ended = await newClaim(2);
    const endedSession = (await confirmClaim(t.deps, { token: ended.token, ip: '203.0.113.62' })).sessionId;
    await t.deps.db.update(sessions).set({ state: 'CANCELLED', endedAt: t.clock.now(), endedReason: 'MANUAL' }).where(eq(sessions.id, endedSession));

    t.clock.advance(2 * DAY);
    const recent = await newClaim(3); // expired a moment from now, not a day ago
    await purgeNow();
    expect(await claimOf(unused.token)).toBeUndefined();
    expect(await claimOf(recent.token)).toBeDefined();
    expect(await claimOf(live.token)).toBeDefined();
    expect(await claimOf(ended.token)).toBeDefined();

    t.clock.advance(6 * DAY);
    await purgeNow();
    expect(await claimOf(ended.token)).toBeUndefined();
    expect(await claimOf(live.token)).toBeDefined(); // its session still runs (as far as this test goes)
    expect(await t.deps.db.select().from(sessions).where(eq(sessions.id, endedSession))).toHaveLength(1); // the session itself stays

    const purged = await t.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'CLAIMS_PURGED'));
    expect(purged.map((e) => e.details)).toEqual([{ deleted: 1 }, { deleted: 2 }]);
  });
});
