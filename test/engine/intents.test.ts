import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditEvents, resourceEntries } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { syncResource } from '../../src/engine/sync-resource.ts';
import { reconcileAll } from '../../src/engine/sweep.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

async function setup() {
  const org = await seedOrg(t.deps.db);
  const user = await seedUser(t.deps.db, org.id);
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id] });
  return { org, user, resource };
}

const entriesOf = (resourceId: string) => t.deps.db.select().from(resourceEntries).where(eq(resourceEntries.resourceId, resourceId));

describe('intent before action', () => {
  it('commits that a rule may exist before the provider is called, and confirms it after', async () => {
    const { user, org, resource } = await setup();
    await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.70', origin: 'api', actor: actorOf(user) });
    const pause = t.firewall.pauseNextApply();
    const sync = syncResource(t.deps, resource.id);
    await pause.entered;
    // A crash now would leave this record, and the next sync would finish from it.
    expect((await entriesOf(resource.id)).map((e) => [e.cidr, e.state])).toEqual([['203.0.113.70/32', 'ADDING']]);
    pause.release();
    await sync;
    expect((await entriesOf(resource.id)).map((e) => [e.cidr, e.state])).toEqual([['203.0.113.70/32', 'PRESENT']]);
  });

  it('a rule a crashed sync may have written is removed when its session ends, not forgotten', async () => {
    const { user, org, resource } = await setup();
    const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.71', origin: 'api', actor: actorOf(user) });
    // What a kill -9 between the cloud write and its record leaves: the rule in the cloud, an intent in the database.
    t.firewall.state.set(resource.id, new Set(['203.0.113.71/32']));
    await t.deps.db.insert(resourceEntries).values({ resourceId: resource.id, cidr: '203.0.113.71/32', state: 'ADDING' });
    await stopSession(t.deps, { sessionId: id, actor: actorOf(user) });
    await t.runJobs();
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
    expect(await entriesOf(resource.id)).toEqual([]);
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('CANCELLED');
  });

  it('a removal interrupted by a crash is done again, and its rule stays REMOVING until then', async () => {
    const { user, org, resource } = await setup();
    const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.72', origin: 'api', actor: actorOf(user) });
    await t.runJobs();
    await stopSession(t.deps, { sessionId: id, actor: actorOf(user) });
    const pause = t.firewall.pauseNextApply();
    t.firewall.fail('remove', { code: 'UNEXPECTED', message: 'connection reset', retryable: true }, { times: 1 });
    const sync = syncResource(t.deps, resource.id);
    await pause.entered;
    expect((await entriesOf(resource.id)).map((e) => e.state)).toEqual(['REMOVING']);
    pause.release();
    await sync;
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('EXPIRING');
    t.clock.advance(120_000);
    await t.runJobs();
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('CANCELLED');
  });
});

describe('drift per rule', () => {
  it('repairs a CIDR whose rules were partly deleted, and audits which rule', async () => {
    const { user, org, resource } = await setup();
    const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.73', origin: 'api', actor: actorOf(user) });
    await t.runJobs();
    t.firewall.damage(resource.id, '203.0.113.73/32', ['tcp/443 missing']);
    await reconcileAll(t.deps);
    await t.runJobs();
    expect(t.firewall.damaged.get(resource.id)?.size ?? 0).toBe(0);
    const audit = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.targetId, resource.id), eq(auditEvents.action, 'RECONCILE_ALTERED_RULE')));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ rules: [{ cidr: '203.0.113.73/32', problems: ['tcp/443 missing'] }], repair: 're-applied' });
    expect((await getSession(t.deps, actorOf(user), id)).state).toBe('ACTIVE');
  });

  it('on a provider that lists entries not its own, removes only what EntryGuard recorded', async () => {
    const { user, org, resource } = await setup();
    t.firewall.listsForeignEntries = true;
    try {
      const id = await startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.74', origin: 'api', actor: actorOf(user) });
      await t.runJobs();
      t.firewall.state.get(resource.id)!.add('10.9.8.0/24'); // someone else's line in a shared allowlist
      await reconcileAll(t.deps);
      await t.runJobs();
      expect(t.firewall.cidrs(resource.id)).toEqual(['10.9.8.0/24', '203.0.113.74/32']);
      await stopSession(t.deps, { sessionId: id, actor: actorOf(user) });
      await t.runJobs();
      expect(t.firewall.cidrs(resource.id)).toEqual(['10.9.8.0/24']);
    } finally {
      t.firewall.listsForeignEntries = false;
    }
  });
});
