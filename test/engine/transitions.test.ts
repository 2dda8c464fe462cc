import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { auditEvents, sessions, type SessionState } from '../../src/db/schema/index.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { extendSession } from '../../src/engine/extend-session.ts';
import { disableUser } from '../../src/engine/disable-user.ts';
import { getSession, listOrgSessions } from '../../src/engine/session-queries.ts';
import { systemActor } from '../../src/engine/audit.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

async function sessionIn(state: SessionState) {
  const org = await seedOrg(t.deps.db);
  const owner = await seedUser(t.deps.db, org.id);
  const other = await seedUser(t.deps.db, org.id);
  const admin = await seedUser(t.deps.db, org.id, { admin: true });
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [owner.id, other.id], resources: [resource.id] });
  const id = await startSession(t.deps, { orgId: org.id, userId: owner.id, durationMinutes: 60, ipv4: '203.0.113.170', origin: 'api', actor: actorOf(owner) });
  // Force the state under test directly: this suite checks the guards, not how states are reached.
  await t.deps.db.update(sessions).set({ state }).where(eq(sessions.id, id));
  return { id, org, owner, other, admin };
}

const ALL: SessionState[] = ['AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED', 'DENIED'];

describe('transitions: stop', () => {
  for (const state of ALL) {
    const allowed = ['AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL'].includes(state);
    it(`${state}: ${allowed ? 'stops' : 'changes nothing'}`, async () => {
      const { id, owner } = await sessionIn(state);
      const r = await stopSession(t.deps, { sessionId: id, actor: actorOf(owner) });
      expect(r.alreadyEnded).toBe(!allowed);
      const [row] = await t.deps.db.select().from(sessions).where(eq(sessions.id, id));
      if (allowed) expect(['EXPIRING', 'CANCELLED']).toContain(row!.state);
      else expect(row!.state).toBe(state);
    });
  }
});

describe('transitions: extend', () => {
  for (const state of ALL) {
    const allowed = state === 'ACTIVE' || state === 'PARTIAL';
    it(`${state}: ${allowed ? 'extends' : 'refused'}`, async () => {
      const { id, owner } = await sessionIn(state);
      const p = extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: actorOf(owner) });
      if (allowed) await expect(p).resolves.toMatchObject({ addedMinutes: 60 });
      else await expect(p).rejects.toMatchObject({ code: 'INVALID_STATE' });
    });
  }
});

describe('who may act', () => {
  it("someone else's session cannot be seen, stopped or extended; an admin can, with reason ADMIN", async () => {
    const { id, owner, other, admin } = await sessionIn('ACTIVE');
    await expect(getSession(t.deps, actorOf(other), id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(stopSession(t.deps, { sessionId: id, actor: actorOf(other) })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(extendSession(t.deps, { sessionId: id, additionalMinutes: 60, actor: actorOf(other) })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect((await getSession(t.deps, actorOf(owner), id)).state).toBe('ACTIVE');
    await expect(listOrgSessions(t.deps, actorOf(other))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await listOrgSessions(t.deps, actorOf(admin))).map((s) => s.id)).toContain(id);
    await stopSession(t.deps, { sessionId: id, actor: actorOf(admin) });
    expect(await getSession(t.deps, actorOf(owner), id)).toMatchObject({ state: 'EXPIRING', endedReason: 'ADMIN' });
  });

  it('a malformed session id is simply not found', async () => {
    const { owner } = await sessionIn('ACTIVE');
    await expect(stopSession(t.deps, { sessionId: "1' or 1=1 --", actor: actorOf(owner) })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(extendSession(t.deps, { sessionId: 'nope', additionalMinutes: 60, actor: actorOf(owner) })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('refused reads are audited too', async () => {
    const { id, org, other } = await sessionIn('ACTIVE');
    await expect(getSession(t.deps, actorOf(other), id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(listOrgSessions(t.deps, actorOf(other))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const denied = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.result, 'DENIED')));
    expect(denied.map((d) => d.action).sort()).toEqual(['SESSION_LIST_ALL', 'SESSION_VIEW']);
  });

  it('the admin path needs an admin', async () => {
    const { id, owner } = await sessionIn('ACTIVE');
    await expect(stopSession(t.deps, { sessionId: id, actor: actorOf(owner), asAdmin: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it("disabling a user ends their live sessions with reason ADMIN and refuses their next start", async () => {
    const { id, org, owner } = await sessionIn('ACTIVE');
    await t.deps.db.transaction((tx) => disableUser(tx, t.deps, owner.id, systemActor(org.id, 'test')));
    const [row] = await t.deps.db.select().from(sessions).where(eq(sessions.id, id));
    expect(row).toMatchObject({ state: 'EXPIRING', endedReason: 'ADMIN' });
    await expect(
      startSession(t.deps, { orgId: org.id, userId: owner.id, durationMinutes: 60, ipv4: '203.0.113.171', origin: 'api', actor: actorOf(owner) }),
    ).rejects.toMatchObject({ code: 'USER_DISABLED' });
  });
});

describe('audit trail', () => {
  it('is append-only: the application may not change it, and the owner meets the trigger', async () => {
    const cause = (p: Promise<unknown>) => p.then(() => '', (e: Error) => String((e.cause as Error | undefined)?.message ?? e.message));
    expect(await cause(t.deps.db.execute(sql`update audit_events set action = 'X'`))).toMatch(/permission denied/);
    expect(await cause(t.deps.db.execute(sql`delete from audit_events`))).toMatch(/permission denied/);
    await t.database.asOwner(async (owner) => {
      expect(await cause(owner`update audit_events set action = 'X'`)).toMatch(/append-only/);
      expect(await cause(owner`delete from audit_events`)).toMatch(/append-only/);
    });
  });
});
