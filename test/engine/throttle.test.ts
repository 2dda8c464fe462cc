import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createDatabase } from '../../src/db/client.ts';
import { auditEvents } from '../../src/db/schema/index.ts';
import { extendSession } from '../../src/engine/extend-session.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import type { OrgSettings } from '../../src/db/schema/index.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

const SEC = 1000;

async function person(settings: OrgSettings = {}) {
  const org = await seedOrg(t.deps.db, { settings });
  const user = await seedUser(t.deps.db, org.id);
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [user.id], resources: [resource.id] });
  const actor = actorOf(user);
  const start = (deps = t.deps) => startSession(deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: '203.0.113.180', origin: 'api', actor });
  const stop = (id: string) => stopSession(t.deps, { sessionId: id, actor });
  return { org, user, actor, start, stop };
}

describe('per-user throttle on start/stop/extend (issue 10, point 9)', () => {
  it('churn beyond the organization’s rate is refused with a retry time, audited; the budget refills with time', async () => {
    const p = await person({ actionsPerMinute: 4 });
    await p.stop(await p.start());
    await p.stop(await p.start());
    const refused = await p.start().catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'THROTTLED', details: { retryAfterSeconds: 15 } });
    expect((refused as Error & { userMessage: string }).userMessage).toMatch(/Try again in 15 seconds/);
    const audit = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.actorId, p.user.id), eq(auditEvents.result, 'DENIED')));
    expect(audit.map((e) => [e.action, e.details.code])).toEqual([['SESSION_START', 'THROTTLED']]);

    t.clock.advance(15 * SEC);
    const id = await p.start();
    await t.runJobs();
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: p.actor })).rejects.toMatchObject({ code: 'THROTTLED' });
  });

  it('a stop is never refused (closing access must always work), but it spends from the same budget', async () => {
    const p = await person({ actionsPerMinute: 3 });
    const a = await p.start();
    const b = await p.start();
    await expect(p.stop(a)).resolves.toMatchObject({ alreadyEnded: false }); // the last action left
    await expect(p.stop(b)).resolves.toMatchObject({ alreadyEnded: false }); // none left: still stops
    await expect(p.start()).rejects.toMatchObject({ code: 'THROTTLED', details: { retryAfterSeconds: 20 } });
  });

  it('defaults to 10 actions a minute, and one person’s churn does not touch another’s budget', async () => {
    const p = await person();
    const other = await person();
    for (let i = 0; i < 5; i++) await p.stop(await p.start());
    await expect(p.start()).rejects.toMatchObject({ code: 'THROTTLED' });
    await expect(other.start()).resolves.toEqual(expect.any(String));
  });

  it('holds across processes: simultaneous starts through two database pools spend one budget', async () => {
    const p = await person({ actionsPerMinute: 5 });
    const second = createDatabase(t.database.url, { max: 5 });
    try {
      const other = { ...t.deps, db: second.db };
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => p.start(i % 2 ? other : t.deps)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'THROTTLED')).toBe(true);
    } finally {
      await second.close();
    }
  });
});
