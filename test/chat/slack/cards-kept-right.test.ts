import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, claims, roles, sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

/** Issue 11: a reason per session (A), cards that survive deletion (6), lost replies (12), approval channels (8), privacy (11). */
let h: SlackHarness;
let fx: { aliceId: string; daveId: string; orgId: string; opsId: string };

beforeAll(async () => {
  h = await createSlackHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  await bindWorkspace(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const dave = await seedUser(db, org.id, { email: 'dave@example.com' });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { name: 'dev', members: [alice.id], resources: [r.id] });
  const ops = await seedRole(db, org.id, { name: 'ops', members: [dave.id], resources: [r.id], approvers: [carol.id] });
  await db.update(roles).set({ requireReason: true }).where(eq(roles.id, ops.id));
  for (const [id, email] of [['UALICE', 'alice@example.com'], ['UDAVE', 'dave@example.com'], ['UCAROL', 'carol@example.com']]) h.fake.addUser(id!, email);
  h.fake.joinChannel('C222');
  h.fake.joinChannel('CAPPROVE');
  h.fake.joinChannel('CPINNED');
  fx = { aliceId: alice.id, daveId: dave.id, orgId: org.id, opsId: ops.id };
});
afterAll(async () => h?.close());

const text = (r: { replies: Record<string, unknown>[] }) => String(r.replies[0]?.text ?? '');
const latest = async (userId: string) => (await h.deps.db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.createdAt)).limit(1))[0]!;

describe('a reason for every session (issue 11, point 3)', () => {
  it('a role with requireReason refuses a start without one, clearly, and creates no link', async () => {
    const before = (await h.deps.db.select().from(claims)).length;
    const r = await h.command('start 2h', 'UDAVE');
    expect(text(r)).toContain('role ops requires a reason');
    expect(text(r)).toContain('start 2h fixing INC-123');
    expect(await h.deps.db.select().from(claims)).toHaveLength(before);
    const refused = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'CLAIM_CREATE'));
    expect(refused.some((e) => e.result === 'DENIED')).toBe(true);
  });

  it('`start 2h <reason>` records it; the private card, the approval card and the audit show it, escaped', async () => {
    h.clock.advance(MINUTE_MS);
    const r = await h.command('start 2h fixing INC-123 <!channel>', 'UDAVE');
    expect(text(r)).toContain('fixing INC-123');
    expect(await h.confirmClaim(claimUrlOf(r.replies[0]))).toBe(200);
    // No approval channel yet: an admin picks one, and the request already waiting is posted there.
    await h.runJobs();
    expect(h.fake.roots('CAPPROVE')).toHaveLength(0);
    expect(text(await h.command('approvals here ops', 'UCAROL', { channel: 'CAPPROVE' }))).toContain('already waiting is posted here');
    await h.runJobs();
    const s = await latest(fx.daveId);
    expect(s.reason).toBe('fixing INC-123 <!channel>');
    const approval = JSON.stringify(h.fake.roots('CAPPROVE')[0]!.blocks);
    expect(approval).toContain('fixing INC-123 &lt;!channel&gt;');
    // Started in channel C222 of an org without channel cards: the card went to Dave's DM only.
    expect(h.fake.roots('C222')).toHaveLength(0);
    expect(JSON.stringify(h.fake.roots('DDAVE')[0]!.blocks)).toContain('*Reason*\\nfixing INC-123 &lt;!channel&gt;');
    const [audit] = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'SESSION_REQUEST'));
    expect(audit!.details).toMatchObject({ reason: 'fixing INC-123 <!channel>' });
  });

  it('`approvals here` refuses a role whose channel the org file pins', async () => {
    await h.deps.db.update(roles).set({ pinnedApprovalChannels: { slack: 'CPINNED' }, approvalChannels: { slack: 'CPINNED' } }).where(eq(roles.id, fx.opsId));
    expect(text(await h.command('approvals here ops', 'UCAROL', { channel: 'CAPPROVE' }))).toContain('organization file sets where role ops is approved');
    const [ops] = await h.deps.db.select().from(roles).where(eq(roles.id, fx.opsId));
    expect(ops!.approvalChannels).toEqual({ slack: 'CPINNED' });
  });
});

describe('a card that is gone (issue 11, point 6)', () => {
  it('a deleted card is posted again and the session carries on: the end reply is sent, nothing retries', async () => {
    const r = await h.command('start 1h', 'UALICE', { channel: 'DALICE', channelName: 'directmessage' });
    await h.confirmClaim(claimUrlOf(r.replies[0]), '203.0.113.30');
    await h.runJobs();
    const card = h.fake.roots('DALICE').at(-1)!;
    expect(card.text).toContain('Active');
    h.fake.deleteMessage('DALICE', card.ts);
    await h.command('stop', 'UALICE');
    await h.runJobs();
    await h.runJobs();
    expect(await h.jobsOf('notify_session')).toEqual([]);
    const again = h.fake.roots('DALICE').at(-1)!;
    expect(again.ts).not.toBe(card.ts);
    expect(again.text).toContain('Cancelled');
    expect(h.fake.thread('DALICE', again.ts).map((m) => m.text)).toEqual([expect.stringContaining('ended: it was stopped')]);
  });

  it('a card whose channel was deleted moves to the DM', async () => {
    const { organizations } = await import('../../../src/db/schema/index.ts');
    await h.deps.db.update(organizations).set({ settings: { chat: { channelCards: true } } }).where(eq(organizations.id, fx.orgId));
    const r = await h.command('start 1h', 'UALICE');
    await h.confirmClaim(claimUrlOf(r.replies[0]), '203.0.113.31');
    await h.runJobs();
    expect(h.fake.roots('C222').at(-1)!.text).toContain('Active');
    const inDm = h.fake.roots('DALICE').length;
    h.fake.deleteChannel('C222');
    await h.command('stop', 'UALICE');
    await h.runJobs();
    await h.runJobs();
    expect(await h.jobsOf('notify_session')).toEqual([]);
    expect(h.fake.roots('DALICE')).toHaveLength(inDm + 1);
    const moved = h.fake.roots('DALICE').at(-1)!;
    expect(moved.text).toContain('Cancelled');
    expect(h.fake.thread('DALICE', moved.ts).map((m) => m.text)).toEqual([expect.stringContaining('ended: it was stopped')]);
  });
});

describe('a reply Slack did not take (issue 11, point 12)', () => {
  it('is retried, then sent as a DM with the claim link', async () => {
    h.fake.failResponses('lost', 500, 3);
    const r = await h.command('start 1h', 'UALICE', { id: 'lost' });
    expect(r.replies).toEqual([]);
    const dm = h.fake.roots('DALICE').at(-1)!;
    expect(dm.text).toMatch(/https:\/\/eg\.example\.test\/c\//);
    expect(JSON.stringify(dm.blocks)).toContain('claim.open');

    h.fake.failResponses('flaky', 503, 1);
    const ok = await h.command('status', 'UALICE', { id: 'flaky' });
    expect(ok.replies[0]).toMatchObject({ response_type: 'ephemeral' });
  });
});
