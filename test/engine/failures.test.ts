import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { auditEvents } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { sweepOverdue } from '../../src/engine/sweep.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

async function setup(resourceCount = 1) {
  const org = await seedOrg(t.deps.db);
  const user = await seedUser(t.deps.db, org.id);
  const resources = [];
  for (let i = 0; i < resourceCount; i++) resources.push(await seedResource(t.deps.db, org.id));
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: resources.map((r) => r.id) });
  const actor = actorOf(user);
  const start = (ip: string) => startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: ip, origin: 'api', actor });
  const view = (id: string) => getSession(t.deps, actor, id);
  return { org, user, resources, actor, start, view };
}

describe('provider failures', () => {
  it('a permanent failure on one resource makes the session PARTIAL with the reason', async () => {
    const { resources, start, view } = await setup(2);
    t.firewall.fail('add', { code: 'QUOTA_EXCEEDED', message: 'security group sg-1 is full (60 rules)', retryable: false }, { cidr: '198.51.100.20/32', times: 1 });
    const id = await start('198.51.100.20');
    await t.runJobs();
    const v = await view(id);
    expect(v.state).toBe('PARTIAL');
    const failed = v.rules.filter((r) => r.state === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toBe('security group sg-1 is full (60 rules)');
    expect(resources.some((r) => t.firewall.cidrs(r.id).includes('198.51.100.20/32'))).toBe(true);
    t.firewall.clearFaults();
  });

  it('all rules failing for good makes it FAILED', async () => {
    const { start, view } = await setup(2);
    t.firewall.fail('add', { code: 'ACCESS_DENIED', message: 'not authorized', retryable: false }, { cidr: '198.51.100.21/32' });
    const id = await start('198.51.100.21');
    await t.runJobs();
    const v = await view(id);
    expect(v.state).toBe('FAILED');
    expect(v.endedAt).not.toBeNull();
    t.firewall.clearFaults();
  });

  it('a retryable failure keeps the rule PENDING, schedules a retry with backoff, then succeeds', async () => {
    const { start, view } = await setup(1);
    t.firewall.fail('add', { code: 'THROTTLED', message: 'Request limit exceeded', retryable: true }, { times: 2 });
    const id = await start('198.51.100.22');
    await t.runJobs();
    let v = await view(id);
    expect(v.state).toBe('PENDING');
    expect(v.rules[0]!.error).toContain('Request limit exceeded');
    const retry = (await t.jobs()).find((j) => j.task === 'sync_resource');
    expect(retry!.runAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
    for (let i = 0; i < 3; i++) {
      t.clock.advance(120_000);
      await t.runJobs();
    }
    v = await view(id);
    expect(v.state).toBe('ACTIVE');
    expect(v.rules[0]!.error).toBeNull();
  });

  it('a removal that fails three times stays visible and is retried until it succeeds', async () => {
    const { org, resources, actor, start, view } = await setup(1);
    const id = await start('198.51.100.23');
    await t.runJobs();
    t.firewall.fail('remove', { code: 'SERVICE_UNAVAILABLE', message: 'cloud API is down', retryable: true }, { times: 3 });
    await stopSession(t.deps, { sessionId: id, actor });
    for (let failure = 1; failure <= 3; failure++) {
      await t.runJobs();
      const v = await view(id);
      expect(v.state).toBe('EXPIRING');
      expect(v.rules[0]).toMatchObject({ state: 'REMOVING' });
      expect(v.rules[0]!.error).toContain('cloud API is down');
      expect(t.firewall.cidrs(resources[0]!.id)).toEqual(['198.51.100.23/32']);
      t.clock.advance(5 * 60_000);
    }
    await t.runJobs();
    const v = await view(id);
    expect(v.state).toBe('CANCELLED');
    expect(v.rules[0]).toMatchObject({ state: 'REMOVED', error: null });
    expect(t.firewall.cidrs(resources[0]!.id)).toEqual([]);
    const alerts = await t.deps.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.action, 'RULE_REMOVAL_FAILED')));
    expect(alerts).toHaveLength(3);
  });

  it('a lost sync job is found by the sweep and the session still converges', async () => {
    const { start, view } = await setup(1);
    const id = await start('198.51.100.24');
    await t.deps.db.execute(sql`delete from graphile_worker._private_jobs where task_id in (select id from graphile_worker._private_tasks where identifier = 'sync_resource')`);
    t.clock.advance(2 * 60_000);
    const report = await sweepOverdue(t.deps);
    expect(report.resourcesResynced).toBeGreaterThanOrEqual(1);
    await t.runJobs();
    expect((await view(id)).state).toBe('ACTIVE');
  });
});
