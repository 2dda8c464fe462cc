import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditEvents, resourceEntries } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { reconcileAll } from '../../src/engine/sweep.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

describe('reconcile', () => {
  it('re-applies a rule deleted out of band and removes a managed rule nobody holds, auditing both', async () => {
    const org = await seedOrg(t.deps.db);
    const user = await seedUser(t.deps.db, org.id);
    const resource = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id] });
    const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.180', origin: 'api', actor: actorOf(user) });
    await t.runJobs();

    t.firewall.state.set(resource.id, new Set(['192.0.2.99/32'])); // ours deleted, a stray one of ours added
    await reconcileAll(t.deps);
    await t.runJobs();

    expect(t.firewall.cidrs(resource.id)).toEqual(['203.0.113.180/32']);
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('ACTIVE');
    const entries = await t.deps.db.select().from(resourceEntries).where(eq(resourceEntries.resourceId, resource.id));
    expect(entries.map((e) => e.cidr)).toEqual(['203.0.113.180/32']);
    const audit = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.targetId, resource.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(['RECONCILE_MISSING_RULE', 'RECONCILE_ORPHANED_RULE']);
  });

  it('gives permanently failed rules another chance: PARTIAL becomes ACTIVE once the cause is fixed', async () => {
    const org = await seedOrg(t.deps.db);
    const user = await seedUser(t.deps.db, org.id);
    const a = await seedResource(t.deps.db, org.id);
    const b = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [user.id], resources: [a.id, b.id] });
    t.firewall.fail('add', { code: 'QUOTA_EXCEEDED', message: 'full', retryable: false }, { cidr: '203.0.113.181/32', times: 1 });
    const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.181', origin: 'api', actor: actorOf(user) });
    await t.runJobs();
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('PARTIAL');
    await reconcileAll(t.deps);
    await t.runJobs();
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('ACTIVE');
  });
});
