import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/engine/start-session.ts';
import { decideApproval } from '../../src/engine/decide-approval.ts';
import { stopSession } from '../../src/engine/stop-session.ts';
import { getSession } from '../../src/engine/session-queries.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await createTestEngine();
});
afterAll(() => t.close());

async function requested() {
  const org = await seedOrg(t.deps.db);
  const requester = await seedUser(t.deps.db, org.id);
  const approver = await seedUser(t.deps.db, org.id);
  const bystander = await seedUser(t.deps.db, org.id, { admin: true });
  const resource = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [requester.id, approver.id], resources: [resource.id], approvers: [approver.id, requester.id], approvalTimeoutMinutes: 15 });
  const id = await startSession(t.deps, { orgId: org.id, userId: requester.id, durationMinutes: 60, ipv4: '203.0.113.160', origin: 'api', actor: actorOf(requester) });
  const view = () => getSession(t.deps, actorOf(requester), id);
  const decide = (who: typeof approver, decision: 'approve' | 'deny') => decideApproval(t.deps, { sessionId: id, decision, actor: actorOf(who) });
  return { id, requester, approver, bystander, resource, view, decide };
}

describe('approvals', () => {
  it('waits for approval with nothing opened and the clock not running', async () => {
    const { view, resource } = await requested();
    await t.runJobs();
    const v = await view();
    expect(v.state).toBe('AWAITING_APPROVAL');
    expect(v.startedAt).toBeNull();
    expect(v.approval).toMatchObject({ status: 'PENDING' });
    expect(t.firewall.cidrs(resource.id)).toEqual([]);
  });

  it('an approver approves: the clock starts then and the session turns ACTIVE', async () => {
    const { view, decide, approver } = await requested();
    t.clock.advance(10 * 60_000);
    const approvedAt = t.clock.now();
    await expect(decide(approver, 'approve')).resolves.toMatchObject({ state: 'PENDING', alreadyDecided: false });
    await t.runJobs();
    const v = await view();
    expect(v.state).toBe('ACTIVE');
    expect(v.startedAt!.getTime()).toBe(approvedAt.getTime());
    expect(v.expiresAt!.getTime()).toBe(approvedAt.getTime() + 60 * 60_000);
    await expect(decide(approver, 'deny')).resolves.toMatchObject({ alreadyDecided: true, status: 'APPROVED' });
  });

  it('an approver can see the request they are asked to decide; a non-approver cannot', async () => {
    const { id, approver, resource } = await requested();
    const org = await seedOrg(t.deps.db);
    const outsider = await seedUser(t.deps.db, org.id);
    expect((await getSession(t.deps, actorOf(approver), id)).state).toBe('AWAITING_APPROVAL');
    await expect(getSession(t.deps, actorOf(outsider), id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    void resource;
  });

  it('the requester can never decide, even when listed as approver; others who are not approvers are refused', async () => {
    const { view, decide, requester, bystander } = await requested();
    await expect(decide(requester, 'approve')).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    await expect(decide(bystander, 'approve')).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    expect((await view()).state).toBe('AWAITING_APPROVAL');
  });

  it('deny ends it as DENIED', async () => {
    const { view, decide, approver } = await requested();
    await decide(approver, 'deny');
    const v = await view();
    expect(v).toMatchObject({ state: 'DENIED', endedReason: 'APPROVAL_DENIED' });
    expect(v.rules.every((r) => r.state === 'REMOVED')).toBe(true);
  });

  it('times out to DENIED with reason APPROVAL_TIMEOUT', async () => {
    const { view } = await requested();
    t.clock.advance(14 * 60_000);
    await t.runJobs();
    expect((await view()).state).toBe('AWAITING_APPROVAL');
    t.clock.advance(2 * 60_000);
    await t.runJobs();
    expect(await view()).toMatchObject({ state: 'DENIED', endedReason: 'APPROVAL_TIMEOUT', approval: { status: 'TIMED_OUT' } });
  });

  it('the requester may withdraw (stop) a waiting request: CANCELLED', async () => {
    const { id, view, requester, approver, decide } = await requested();
    await expect(stopSession(t.deps, { sessionId: id, actor: actorOf(requester) })).resolves.toMatchObject({ state: 'CANCELLED' });
    expect(await view()).toMatchObject({ state: 'CANCELLED', endedReason: 'MANUAL', approval: { status: 'WITHDRAWN' } });
    await expect(decide(approver, 'approve')).resolves.toMatchObject({ alreadyDecided: true });
  });
});
