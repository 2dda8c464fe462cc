import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

describe('session lifecycle', () => {
  it('starts PENDING, turns ACTIVE once rules apply, stops to CANCELLED once they are released', async () => {
    const org = await seedOrg(t.deps.db);
    const alice = await seedUser(t.deps.db, org.id);
    const r1 = await seedResource(t.deps.db, org.id);
    const r2 = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [r1.id, r2.id] });
    const actor = actorOf(alice);

    const id = await startSession(t.deps, { orgId: org.id, userId: alice.id, durationMinutes: 120, ipv4: '203.0.113.7', ipv6: '2001:db8::7', origin: 'api', actor });
    let view = await getSession(t.deps, actor, id);
    expect(view.state).toBe('PENDING');
    expect(view.rules).toHaveLength(4);
    expect(view.expiresAt!.getTime() - view.startedAt!.getTime()).toBe(120 * 60_000);

    await t.runJobs();
    view = await getSession(t.deps, actor, id);
    expect(view.state).toBe('ACTIVE');
    expect(view.rules.every((r) => r.state === 'APPLIED')).toBe(true);
    expect(t.firewall.cidrs(r1.id)).toEqual(['2001:db8::7/128', '203.0.113.7/32']);

    const stopped = await stopSession(t.deps, { sessionId: id, actor });
    expect(stopped).toEqual({ state: 'EXPIRING', alreadyEnded: false });
    await t.runJobs();
    view = await getSession(t.deps, actor, id);
    expect(view.state).toBe('CANCELLED');
    expect(view.endedReason).toBe('MANUAL');
    expect(view.rules.every((r) => r.state === 'REMOVED')).toBe(true);
    expect(t.firewall.cidrs(r1.id)).toEqual([]);
    expect(t.firewall.cidrs(r2.id)).toEqual([]);
  });
});
