import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { roleMembers, roles } from '../../src/db/schema/index.ts';
import { extendSession } from '../../src/engine/extend-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { queryAudit } from '../../src/engine/audit-query.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

const MIN = 60_000;

async function running(opts: { capHours?: number; hours?: number } = {}) {
  const org = await seedOrg(t.deps.db);
  const dev = await seedUser(t.deps.db, org.id);
  const admin = await seedUser(t.deps.db, org.id, { admin: true });
  const resource = await seedResource(t.deps.db, org.id);
  const role = await seedRole(t.deps.db, org.id, { members: [dev.id], resources: [resource.id], capHours: opts.capHours });
  const id = await startSession(t.deps, { orgId: org.id, userId: dev.id, durationMinutes: (opts.hours ?? 1) * 60, ipv4: '203.0.113.170', origin: 'api', actor: actorOf(dev) });
  await t.runJobs();
  return { org, dev, admin, resource, role, id, view: () => getSession(t.deps, actorOf(dev), id) };
}

describe('extend re-checks entitlement (issue 10, point 8)', () => {
  it('a user removed from their only role cannot extend; neither can an admin for them; audited', async () => {
    const { dev, admin, role, id, view } = await running();
    await t.deps.db.delete(roleMembers).where(and(eq(roleMembers.roleId, role.id), eq(roleMembers.userId, dev.id)));
    const before = (await view()).expiresAt!;
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 480, actor: actorOf(dev) })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: actorOf(admin) })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
    expect((await view()).expiresAt!.getTime()).toBe(before.getTime());
    const audit = await queryAudit(t.deps, actorOf(admin), { action: 'SESSION_EXTEND', targetId: id, page: 0, size: 10 });
    expect(audit.items.map((e) => [e.result, (e.details as { code?: string }).code])).toEqual([
      ['DENIED', 'NOT_ENTITLED'],
      ['DENIED', 'NOT_ENTITLED'],
    ]);
  });

  it('losing one of two resources refuses too (the session would keep the lost one open)', async () => {
    const { org, dev, role, id } = await running();
    const other = await seedResource(t.deps.db, org.id);
    await seedRole(t.deps.db, org.id, { members: [dev.id], resources: [other.id] });
    await t.deps.db.delete(roleMembers).where(and(eq(roleMembers.roleId, role.id), eq(roleMembers.userId, dev.id)));
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: actorOf(dev) })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
  });

  it('a cap lowered since the start trims the extension to the new cap', async () => {
    const { dev, role, id, view } = await running({ hours: 1 });
    await t.deps.db.update(roles).set({ maxSessionDurationHours: 2 }).where(eq(roles.id, role.id));
    const r = await extendSession(t.deps, { sessionId: id, additionalMinutes: 180, actor: actorOf(dev) });
    expect(r).toMatchObject({ trimmed: true, addedMinutes: 60 });
    const v = await view();
    expect(v.expiresAt!.getTime() - v.startedAt!.getTime()).toBe(120 * MIN);
  });

  it('a cap lowered below what already runs refuses at the cap', async () => {
    const { dev, role, id } = await running({ hours: 4 });
    await t.deps.db.update(roles).set({ maxSessionDurationHours: 2 }).where(eq(roles.id, role.id));
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: actorOf(dev) })).rejects.toMatchObject({ code: 'EXTENSION_AT_CAP' });
  });

  it('still entitled and under the cap: extends as before', async () => {
    const { dev, id } = await running({ capHours: 8 });
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: actorOf(dev) })).resolves.toMatchObject({ addedMinutes: 60, trimmed: false });
  });
});
