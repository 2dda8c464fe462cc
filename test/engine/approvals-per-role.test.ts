import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditEvents } from '../../src/db/schema/index.ts';
import { decideApproval } from '../../src/engine/decide-approval.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { startSession } from '../../src/engine/start-session.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

const MIN = 60_000;

/** Carol is in ops-a (approver Alice) and ops-b (approver Bob), as in issue 10, point 2. */
async function carolAsks(opts: { timeoutA?: number; timeoutB?: number } = {}) {
  const db = t.deps.db;
  const org = await seedOrg(db);
  const [carol, alice, bob] = [await seedUser(db, org.id), await seedUser(db, org.id), await seedUser(db, org.id)];
  const resA = await seedResource(db, org.id, { name: `a-${org.slug}` });
  const resB = await seedResource(db, org.id, { name: `b-${org.slug}` });
  const roleA = await seedRole(db, org.id, { name: 'ops-a', members: [carol.id], resources: [resA.id], approvers: [alice!.id], approvalTimeoutMinutes: opts.timeoutA ?? 30 });
  const roleB = await seedRole(db, org.id, { name: 'ops-b', members: [carol.id], resources: [resB.id], approvers: [bob!.id], approvalTimeoutMinutes: opts.timeoutB ?? 30 });
  const id = await startSession(t.deps, { orgId: org.id, userId: carol!.id, durationMinutes: 60, ipv4: '203.0.113.66', origin: 'api', actor: actorOf(carol!) });
  await t.runJobs();
  const decide = (who: typeof alice, decision: 'approve' | 'deny', role?: string, reason?: string) =>
    decideApproval(t.deps, { sessionId: id, decision, role, reason, actor: actorOf(who!) });
  return { id, carol: carol!, alice: alice!, bob: bob!, resA, resB, roleA, roleB, decide, view: () => getSession(t.deps, actorOf(carol!), id) };
}

describe('approvals per role (issue 10, point 2)', () => {
  it("Bob's approval covers only ops-b: nothing opens until ops-a's approver approves too", async () => {
    const { decide, alice, bob, view, resA, resB } = await carolAsks();
    expect((await view()).approval).toMatchObject({ status: 'PENDING', waitingFor: ['ops-a', 'ops-b'] });

    await expect(decide(bob, 'approve')).resolves.toMatchObject({ state: 'AWAITING_APPROVAL', status: 'PENDING', waitingFor: ['ops-a'], alreadyDecided: false });
    await t.runJobs();
    const half = await view();
    expect(half.state).toBe('AWAITING_APPROVAL');
    expect(half.startedAt).toBeNull();
    expect(half.approval!.waitingFor).toEqual(['ops-a']);
    expect(half.approval!.roles.map((r) => [r.roleName, r.status])).toEqual([
      ['ops-a', 'PENDING'],
      ['ops-b', 'APPROVED'],
    ]);
    expect(t.firewall.cidrs(resA.id)).toEqual([]);
    expect(t.firewall.cidrs(resB.id)).toEqual([]);
    // Bob cannot decide for ops-a, by name or by approving again.
    await expect(decide(bob, 'approve', 'ops-a')).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    await expect(decide(bob, 'approve')).resolves.toMatchObject({ alreadyDecided: true, state: 'AWAITING_APPROVAL' });

    await expect(decide(alice, 'approve', 'ops-a')).resolves.toMatchObject({ state: 'PENDING', status: 'APPROVED', waitingFor: [] });
    await t.runJobs();
    const v = await view();
    expect(v.state).toBe('ACTIVE');
    expect(v.approval).toMatchObject({ status: 'APPROVED', waitingFor: [] });
    expect(t.firewall.cidrs(resA.id)).toEqual(['203.0.113.66/32']);
    expect(t.firewall.cidrs(resB.id)).toEqual(['203.0.113.66/32']);
  });

  it("any role's denial denies the session and withdraws the other role's request", async () => {
    const { id, decide, alice, bob, view } = await carolAsks();
    await decide(alice, 'approve');
    await expect(decide(bob, 'deny', undefined, 'not today')).resolves.toMatchObject({ state: 'DENIED', status: 'DENIED' });
    const v = await view();
    expect(v).toMatchObject({ state: 'DENIED', endedReason: 'APPROVAL_DENIED' });
    expect(v.approval).toMatchObject({ status: 'DENIED', reason: 'not today', deciderUserId: bob.id, waitingFor: [] });
    expect(v.approval!.roles.map((r) => [r.roleName, r.status])).toEqual([
      ['ops-a', 'APPROVED'],
      ['ops-b', 'DENIED'],
    ]);
    const events = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.targetId, id), eq(auditEvents.result, 'SUCCESS')));
    expect(events.filter((e) => e.action.startsWith('APPROVAL_')).map((e) => [e.action, e.details.role])).toEqual([
      ['APPROVAL_APPROVE', 'ops-a'],
      ['APPROVAL_DENY', 'ops-b'],
    ]);
  });

  it('a denial while another role is still pending withdraws that one', async () => {
    const { decide, alice, view } = await carolAsks();
    await decide(alice, 'deny');
    const v = await view();
    expect(v.approval!.roles.map((r) => [r.roleName, r.status])).toEqual([
      ['ops-a', 'DENIED'],
      ['ops-b', 'WITHDRAWN'],
    ]);
  });

  it('one person approving for both roles approves both, each audited', async () => {
    const db = t.deps.db;
    const org = await seedOrg(db);
    const [carol, alice] = [await seedUser(db, org.id), await seedUser(db, org.id)];
    const res = await seedResource(db, org.id);
    await seedRole(db, org.id, { name: 'x', members: [carol!.id], resources: [res.id], approvers: [alice!.id] });
    await seedRole(db, org.id, { name: 'y', members: [carol!.id], resources: [res.id], approvers: [alice!.id] });
    const id = await startSession(t.deps, { orgId: org.id, userId: carol!.id, durationMinutes: 60, ipv4: '203.0.113.67', origin: 'api', actor: actorOf(carol!) });
    await expect(decideApproval(t.deps, { sessionId: id, decision: 'approve', role: 'x', actor: actorOf(alice!) })).resolves.toMatchObject({ waitingFor: ['y'] });
    await expect(decideApproval(t.deps, { sessionId: id, decision: 'approve', actor: actorOf(alice!) })).resolves.toMatchObject({ state: 'PENDING', waitingFor: [] });
  });

  it("each role times out on its own approvalTimeoutMinutes; an approved role never does", async () => {
    const { decide, alice, view } = await carolAsks({ timeoutA: 15, timeoutB: 60 });
    t.clock.advance(5 * MIN);
    await decide(alice, 'approve');
    t.clock.advance(11 * MIN); // past ops-a's 15 minutes: it was answered, so nothing happens
    await t.runJobs();
    expect((await view()).state).toBe('AWAITING_APPROVAL');
    t.clock.advance(45 * MIN); // past ops-b's 60 minutes
    await t.runJobs();
    const v = await view();
    expect(v).toMatchObject({ state: 'DENIED', endedReason: 'APPROVAL_TIMEOUT' });
    expect(v.approval!.roles.map((r) => [r.roleName, r.status])).toEqual([
      ['ops-a', 'APPROVED'],
      ['ops-b', 'TIMED_OUT'],
    ]);
  });

  it('the earlier timeout of an unanswered role denies the whole request', async () => {
    const { view } = await carolAsks({ timeoutA: 15, timeoutB: 60 });
    expect((await view()).approval!.expiresAt.getTime()).toBe((await view()).createdAt.getTime() + 15 * MIN);
    t.clock.advance(16 * MIN);
    await t.runJobs();
    const v = await view();
    expect(v).toMatchObject({ state: 'DENIED', endedReason: 'APPROVAL_TIMEOUT' });
    expect(v.approval!.roles.map((r) => [r.roleName, r.status])).toEqual([
      ['ops-a', 'TIMED_OUT'],
      ['ops-b', 'WITHDRAWN'],
    ]);
  });
});
