import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { syncResource } from '../../src/engine/sync-resource.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

async function setup() {
  const org = await seedOrg(t.deps.db);
  const alice = await seedUser(t.deps.db, org.id);
  const bob = await seedUser(t.deps.db, org.id);
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [alice.id, bob.id], resources: [resource.id] });
  const start = (user: typeof alice, ip: string) =>
    startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: ip, origin: 'api', actor: actorOf(user) });
  const stop = (user: typeof alice, id: string) => stopSession(t.deps, { sessionId: id, actor: actorOf(user) });
  const state = async (user: typeof alice, id: string) => (await getSession(t.deps, actorOf(user), id)).state;
  return { org, alice, bob, resource, start, stop, state };
}

describe('reference counting', () => {
  it('two sessions from one IP share one rule: stopping one keeps it, stopping both removes it', async () => {
    const { alice, resource, start, stop, state } = await setup();
    const s1 = await start(alice, '203.0.113.7');
    const s2 = await start(alice, '203.0.113.7');
    await t.runJobs();
    expect(await state(alice, s1)).toBe('ACTIVE');
    expect(await state(alice, s2)).toBe('ACTIVE');
    expect(t.firewall.cidrs(resource.id)).toEqual(['203.0.113.7/32']);

    const callsBefore = t.firewall.applyCalls;
    await stop(alice, s1);
    await t.runJobs();
    expect(await state(alice, s1)).toBe('CANCELLED');
    expect(t.firewall.cidrs(resource.id)).toEqual(['203.0.113.7/32']);
    expect(t.firewall.applyCalls).toBe(callsBefore); // released without touching the cloud

    await stop(alice, s2);
    await t.runJobs();
    expect(await state(alice, s2)).toBe('CANCELLED');
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
  });

  it('one IP shared by two users (a NAT) stays open until the last of them ends', async () => {
    const { alice, bob, resource, start, stop, state } = await setup();
    const a = await start(alice, '192.0.2.44');
    const b = await start(bob, '192.0.2.44');
    await t.runJobs();
    await stop(bob, b);
    await t.runJobs();
    expect(await state(bob, b)).toBe('CANCELLED');
    expect(t.firewall.cidrs(resource.id)).toEqual(['192.0.2.44/32']);
    expect(await state(alice, a)).toBe('ACTIVE');
    await stop(alice, a);
    await t.runJobs();
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
  });

  it('a session arriving while a sync of the same resource runs is applied by the next sync', async () => {
    const { alice, bob, resource, start, state } = await setup();
    const s1 = await start(alice, '203.0.113.81');
    const gate = t.firewall.pauseNextApply();
    const firstRun = t.runJobs();
    await gate.entered; // the first sync is inside the provider call
    const s2 = await start(bob, '203.0.113.82');
    gate.release();
    await firstRun;
    await t.runJobs();
    expect(await state(alice, s1)).toBe('ACTIVE');
    expect(await state(bob, s2)).toBe('ACTIVE');
    expect(t.firewall.cidrs(resource.id)).toEqual(['203.0.113.81/32', '203.0.113.82/32']);
  });

  it('a stop arriving while the sync that applies it runs ends cleanly with nothing left open', async () => {
    const { alice, resource, start, stop, state } = await setup();
    const s1 = await start(alice, '203.0.113.91');
    const gate = t.firewall.pauseNextApply();
    const run = t.runJobs();
    await gate.entered;
    await stop(alice, s1);
    gate.release();
    await run;
    await t.runJobs();
    expect(await state(alice, s1)).toBe('CANCELLED');
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
  });

  it('recovers from a crash between the provider call and the database write', async () => {
    const { alice, resource, start, state } = await setup();
    const s1 = await start(alice, '203.0.113.99');
    // The provider applied the rule, then the process died before recording it.
    t.firewall.state.set(resource.id, new Set(['203.0.113.99/32']));
    await t.runJobs();
    expect(await state(alice, s1)).toBe('ACTIVE');
    expect(t.firewall.cidrs(resource.id)).toEqual(['203.0.113.99/32']);
  });

  it('runs a sync twice without harm (idempotent)', async () => {
    const { alice, resource, start, state } = await setup();
    const s1 = await start(alice, '203.0.113.111');
    await syncResource(t.deps, resource.id);
    const calls = t.firewall.applyCalls;
    const again = await syncResource(t.deps, resource.id);
    expect(again.providerCalls).toBe(0);
    expect(t.firewall.applyCalls).toBe(calls);
    expect(await state(alice, s1)).toBe('ACTIVE');
  });
});
