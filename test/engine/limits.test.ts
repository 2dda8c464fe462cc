import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditEvents } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, grantDirect, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';
import type { PlanName } from '../../src/engine/plans.ts';
import type { OrgSettings } from '../../src/db/schema/index.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

async function member(plan: PlanName, opts: { settings?: OrgSettings; capHours?: number } = {}) {
  const org = await seedOrg(t.deps.db, { plan, settings: opts.settings });
  const user = await seedUser(t.deps.db, org.id);
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id], capHours: opts.capHours });
  const start = (minutes: number | undefined, ip = '203.0.113.10') =>
    startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: minutes, ipv4: ip, origin: 'api', actor: actorOf(user) });
  return { org, user, resource, start };
}

describe('limits', () => {
  it('offers the free plan 1h, 2h, 4h and refuses longer with the choices', async () => {
    const { start } = await member('free');
    await expect(start(8 * 60)).rejects.toMatchObject({ code: 'DURATION_NOT_ALLOWED', userMessage: '8h is not offered on your plan; choose 1h, 2h or 4h.' });
    await expect(start(4 * 60)).resolves.toBeTypeOf('string');
  });

  it('refuses durations that are not offered, even short ones', async () => {
    const { start } = await member('team');
    await expect(start(90)).rejects.toMatchObject({ code: 'DURATION_NOT_ALLOWED' });
  });

  it('applies the smallest of plan, org setting and role caps', async () => {
    const a = await member('team', { settings: { maxSessionHours: 8 }, capHours: 4 });
    await expect(a.start(8 * 60)).rejects.toMatchObject({ code: 'DURATION_NOT_ALLOWED', userMessage: '8h is not offered on your plan; choose 1h, 2h or 4h.' });
    const b = await member('free', { capHours: 24 });
    await expect(b.start(8 * 60)).rejects.toMatchObject({ code: 'DURATION_NOT_ALLOWED' });
  });

  it('uses the org default duration when none is given', async () => {
    const { start } = await member('team', { settings: { defaultDurationHours: 2 } });
    const id = await start(undefined);
    const [row] = await t.deps.db.query.sessions.findMany({ where: (s, { eq }) => eq(s.id, id) });
    expect(row!.durationMinutes).toBe(120);
  });

  it('counts live sessions per user: free 1, starter 3', async () => {
    const free = await member('free');
    await free.start(60);
    await expect(free.start(60)).rejects.toMatchObject({ code: 'CONCURRENCY_LIMIT' });

    const starter = await member('starter');
    for (let i = 0; i < 3; i++) await starter.start(60, `203.0.113.${20 + i}`);
    await expect(starter.start(60)).rejects.toMatchObject({ code: 'CONCURRENCY_LIMIT' });
  });

  it('frees a slot when a session stops', async () => {
    const { user, start } = await member('free');
    const id = await start(60);
    await stopSession(t.deps, { sessionId: id, actor: actorOf(user) });
    await t.runJobs();
    await expect(start(60)).resolves.toBeTypeOf('string');
  });

  it('holds the limit under two simultaneous starts: exactly one succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const { start } = await member('free');
      const results = await Promise.allSettled([start(60, '203.0.113.50'), start(60, '203.0.113.51')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: 'CONCURRENCY_LIMIT' });
    }
  });

  it('opens the union of role and direct resources, each once', async () => {
    const org = await seedOrg(t.deps.db);
    const user = await seedUser(t.deps.db, org.id);
    const [a, b, c] = [await seedResource(t.deps.db, org.id), await seedResource(t.deps.db, org.id), await seedResource(t.deps.db, org.id)];
    await seedRole(t.deps.db, org.id, { members: [user.id], resources: [a.id, b.id] });
    await seedRole(t.deps.db, org.id, { members: [user.id], resources: [b.id] });
    await grantDirect(t.deps.db, user.id, c.id);
    const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '198.51.100.3', origin: 'api', actor: actorOf(user) });
    const rules = await t.deps.db.query.sessionRules.findMany({ where: (r, { eq }) => eq(r.sessionId, id) });
    expect(rules.map((r) => r.resourceId).sort()).toEqual([a.id, b.id, c.id].sort());
  });

  it('refuses a user with no resources and a disabled user, and audits both refusals', async () => {
    const org = await seedOrg(t.deps.db);
    const user = await seedUser(t.deps.db, org.id);
    await expect(
      startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '198.51.100.4', origin: 'api', actor: actorOf(user) }),
    ).rejects.toMatchObject({ code: 'NO_RESOURCES' });
    const denied = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.result, 'DENIED')));
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ action: 'SESSION_START', details: { code: 'NO_RESOURCES' } });
  });

  it('refuses a start without a usable address', async () => {
    const { org, user } = await member('team');
    await expect(
      startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: 'not-an-ip', origin: 'api', actor: actorOf(user) }),
    ).rejects.toMatchObject({ code: 'NO_IP_ADDRESS' });
    await expect(startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, origin: 'api', actor: actorOf(user) })).rejects.toMatchObject({
      code: 'NO_IP_ADDRESS',
    });
  });
});
