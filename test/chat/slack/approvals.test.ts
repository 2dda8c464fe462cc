import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../../src/chat/slack/ids.ts';
import { auditEvents, roles, sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let aliceId: string;

beforeAll(async () => {
  h = await createSlackHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  await seedUser(db, org.id, { email: 'bob@example.com' });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  const role = await seedRole(db, org.id, { name: 'prod', members: [alice.id], resources: [r.id], approvers: [carol.id], approvalTimeoutMinutes: 30 });
  await db.update(roles).set({ approvalChannels: { slack: 'CAPPROVE' } }).where(eq(roles.id, role.id));
  for (const [id, email] of [['UALICE', 'alice@example.com'], ['UCAROL', 'carol@example.com'], ['UBOB', 'bob@example.com']]) h.fake.addUser(id!, email);
  h.fake.joinChannel('C222');
  h.fake.joinChannel('CAPPROVE');
  aliceId = alice.id;
});
afterAll(async () => h?.close());

/** Alice asks; returns her session and the approval card. */
async function request() {
  h.clock.advance(MINUTE_MS);
  const r = await h.command('start 2h', 'UALICE');
  expect(await h.confirmClaim(claimUrlOf(r.replies[0]))).toBe(200);
  await h.runJobs();
  const [mine] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
  const card = h.fake.roots('CAPPROVE').at(-1)!;
  return { session: mine!, card };
}

const click = (user: string, actionId: string, sessionId: string, messageTs: string) =>
  h.click({ actionId, value: sessionId, user, channel: 'CAPPROVE', messageTs });
const stateOf = async (id: string) => (await h.deps.db.select().from(sessions).where(eq(sessions.id, id)))[0]!.state;
const aliceCard = () => h.fake.roots('C222').at(-1)!;

describe('approvals in a Slack channel', () => {
  it('posts the request with requester, duration, IPs, resources and Approve/Deny; only an approver other than the requester decides', async () => {
    const { session, card } = await request();
    expect(session.state).toBe('AWAITING_APPROVAL');
    const json = JSON.stringify(card.blocks);
    for (const s of ['<@UALICE>', 'alice@example.com', '2h', '203.0.113.7', 'prod-db', ACTION.approvalApprove, ACTION.approvalDeny]) expect(json).toContain(s);
    expect(aliceCard().text).toContain('Awaiting approval');

    const self = await click('UALICE', ACTION.approvalApprove, session.id, card.ts);
    expect(self.replies[0]).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('cannot approve or deny your own') });
    const other = await click('UBOB', ACTION.approvalApprove, session.id, card.ts);
    expect(String(other.replies[0]!.text)).toContain('not an approver');
    expect(await stateOf(session.id)).toBe('AWAITING_APPROVAL');
    const refusals = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'APPROVAL_APPROVE'));
    expect(refusals.filter((e) => e.result === 'DENIED')).toHaveLength(2);

    const ok = await click('UCAROL', ACTION.approvalApprove, session.id, card.ts);
    expect(String(ok.replies[0]!.text)).toContain('Approved');
    const again = await click('UCAROL', ACTION.approvalDeny, session.id, card.ts);
    expect(String(again.replies[0]!.text)).toContain('already answered');
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('ACTIVE');
    const updated = h.fake.messages.find((m) => m.ts === card.ts)!;
    expect(JSON.stringify(updated.blocks)).toContain('Approved by <@UCAROL>');
    expect(JSON.stringify(updated.blocks)).not.toContain(ACTION.approvalApprove);
    const thread = h.fake.thread('C222', aliceCard().ts).map((m) => m.text);
    expect(thread).toEqual([expect.stringContaining('Approved by <@UCAROL>'), expect.stringContaining('access is open')]);
    await h.command('stop all', 'UALICE');
    await h.runJobs();
  });

  it('a denial updates the card for everyone and tells the requester in their thread', async () => {
    const { session, card } = await request();
    const no = await click('UCAROL', ACTION.approvalDeny, session.id, card.ts);
    expect(String(no.replies[0]!.text)).toContain('Denied');
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('DENIED');
    expect(JSON.stringify(h.fake.messages.find((m) => m.ts === card.ts)!.blocks)).toContain('Denied by <@UCAROL>');
    expect(h.fake.thread('C222', aliceCard().ts).map((m) => m.text)).toEqual([expect.stringContaining('Denied by <@UCAROL>')]);
    expect(aliceCard().text).toContain('Denied');
    // Nothing was ever opened: the card does not list rules as removed or closed (issue 11, point 10).
    const mine = JSON.stringify(aliceCard().blocks);
    expect(mine).toContain('*prod-db* (memory): not opened');
    expect(mine).not.toMatch(/removed|closed|REMOVED/);
    expect(mine).toContain('the request was denied');
  });

  it('an unanswered request times out: the card says so and the requester is told', async () => {
    const { session, card } = await request();
    h.clock.advance(31 * MINUTE_MS);
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('DENIED');
    expect(JSON.stringify(h.fake.messages.find((m) => m.ts === card.ts)!.blocks)).toContain('Timed out');
    expect(h.fake.thread('C222', aliceCard().ts).map((m) => m.text)).toEqual([expect.stringContaining('Nobody approved the request in time')]);
  });

  it('a channel the bot cannot post in does not hold back the requester’s card or jam the notifications', async () => {
    await h.deps.db.update(roles).set({ approvalChannels: { slack: 'CCLOSED' } }).where(eq(roles.name, 'prod'));
    const before = h.fake.roots('CAPPROVE').length;
    const r = await h.command('start 2h', 'UALICE');
    h.clock.advance(MINUTE_MS);
    await h.confirmClaim(claimUrlOf(r.replies[0]));
    await h.runJobs();
    expect(aliceCard().text).toContain('Awaiting approval');
    expect(h.fake.roots('CCLOSED')).toHaveLength(0);
    expect(h.fake.roots('CAPPROVE')).toHaveLength(before);
    expect(await h.jobsOf('notify_session')).toEqual([]);
    // Nobody could be asked: the requester is told so in the thread, once.
    expect(h.fake.thread('C222', aliceCard().ts).filter((m) => String(m.text).includes('could not post the request'))).toHaveLength(1);
  });

  it('with no approval channel anywhere, the requester is told in the thread, once, that nobody was asked in chat', async () => {
    await h.deps.db.update(roles).set({ approvalChannels: {} }).where(eq(roles.name, 'prod'));
    const r = await h.command('start 2h', 'UALICE');
    h.clock.advance(MINUTE_MS);
    await h.confirmClaim(claimUrlOf(r.replies[0]));
    await h.runJobs();
    const card = aliceCard();
    expect(card.text).toContain('Awaiting approval');
    const notice = () => h.fake.thread('C222', card.ts).filter((m) => String(m.text).includes("No approvers' channel"));
    expect(notice()).toHaveLength(1);
    expect(String(notice()[0]!.text)).toContain('approvals here &lt;role&gt;');
    const [mine] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
    await h.deps.db.transaction((tx) => h.deps.jobs.notifySession(tx, mine!.id, 'requested'));
    await h.runJobs();
    expect(notice()).toHaveLength(1);
  });
});
