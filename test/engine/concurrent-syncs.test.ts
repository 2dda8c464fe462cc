import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.ts';
import type { SyncDeps } from '../../src/engine/deps.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { syncResource } from '../../src/engine/sync-resource.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

/*
 * The syncs of different resources settle the same sessions without locking them: whichever
 * commits last sees every rule, and each session moves (and tells chat) exactly once.
 */
describe('syncs of several resources at once', () => {
  it('every session turns ACTIVE once, whatever order the syncs of its resources finish in', async () => {
    const org = await seedOrg(t.deps.db);
    const users = await Promise.all(Array.from({ length: 20 }, () => seedUser(t.deps.db, org.id)));
    const resources = await Promise.all(Array.from({ length: 4 }, () => seedResource(t.deps.db, org.id)));
    await seedRole(t.deps.db, org.id, { members: users.map((u) => u.id), resources: resources.map((r) => r.id) });
    const ids = await Promise.all(users.map((u, i) => startSession(t.deps, { orgId: org.id, userId: u.id, durationMinutes: 60, ipv4: `203.0.113.${100 + i}`, origin: 'api', actor: actorOf(u) })));

    const told = new Map<string, string[]>();
    const deps: SyncDeps = {
      ...t.deps,
      jobs: {
        ...t.deps.jobs,
        async notifySession(tx, sessionId, event) {
          told.set(sessionId, [...(told.get(sessionId) ?? []), event]);
          await t.deps.jobs.notifySession(tx, sessionId, event);
        },
      },
    };
    t.firewall.delayMs = 20;
    try {
      for (let round = 0; round < 3; round++) await Promise.all(resources.map((r) => syncResource(deps, r.id)));
    } finally {
      t.firewall.delayMs = 0;
    }
    const states = await t.deps.db.select({ id: sessions.id, state: sessions.state }).from(sessions).where(inArray(sessions.id, ids));
    expect(states.map((s) => s.state)).toEqual(ids.map(() => 'ACTIVE'));
    for (const id of ids) expect(told.get(id)).toEqual(['state_changed']);
  });
});
