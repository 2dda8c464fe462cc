import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { OrgFile } from '../../src/config/org-file-schema.ts';
import { auditEvents, roles, sessions } from '../../src/db/schema/index.ts';
import { REASON_MAX } from '../../src/engine/reason.ts';
import { loadSessionViews } from '../../src/engine/session-view.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

/** Issue 11, point 3: the engine side of a reason, the same for Slack, Teams and the API. */
let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

describe('a reason for a session', () => {
  it('a role with requireReason refuses a start without one (audited) and records one given, on one line and capped', async () => {
    const org = await seedOrg(t.deps.db, { plan: 'team' });
    const user = await seedUser(t.deps.db, org.id);
    const resource = await seedResource(t.deps.db, org.id);
    const role = await seedRole(t.deps.db, org.id, { name: 'ops', members: [user.id], resources: [resource.id] });
    await t.deps.db.update(roles).set({ requireReason: true }).where(eq(roles.id, role.id));
    const start = (reason: string | undefined, ip: string) =>
      startSession(t.deps, { orgId: org.id, userId: user.id, durationMinutes: 60, ipv4: ip, origin: 'api', actor: actorOf(user), reason });

    await expect(start(undefined, '203.0.113.40')).rejects.toMatchObject({ code: 'REASON_REQUIRED', userMessage: expect.stringContaining('role ops requires a reason') });
    await expect(start('   \n ', '203.0.113.40')).rejects.toMatchObject({ code: 'REASON_REQUIRED' });
    const refused = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'SESSION_START'), eq(auditEvents.result, 'DENIED')));
    expect(refused).toHaveLength(2);

    const id = await start(`fixing\nINC-123  ${'x'.repeat(400)}`, '203.0.113.41');
    const [s] = await t.deps.db.select().from(sessions).where(eq(sessions.id, id));
    expect(s!.reason!.startsWith('fixing INC-123 xx')).toBe(true);
    expect([...s!.reason!]).toHaveLength(REASON_MAX);
    const [v] = await loadSessionViews(t.deps.db, { orgId: org.id, ids: [id] });
    expect(v!.reason).toBe(s!.reason);
    const [audit] = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'SESSION_START'), eq(auditEvents.targetId, id)));
    expect(audit!.details).toMatchObject({ reason: s!.reason });
  });

  it('the org file takes requireReason on a role, false by default', () => {
    const file = OrgFile.parse({ organizations: [{ slug: 'a', name: 'A', plan: 'team', roles: [{ name: 'ops', requireReason: true }, { name: 'dev' }] }] });
    expect(file.organizations[0]!.roles.map((r) => r.requireReason)).toEqual([true, false]);
  });
});
