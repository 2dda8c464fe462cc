import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { auditEvents, roles, sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { CHANNEL, channelMessage, executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn, type PostedMessage } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf, isSessionCard } from './harness.ts';

let h: TeamsHarness;
let aliceId: string;
let roleId: string;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };
const CAROL: TeamsUser = { id: '29:carol', name: 'Carol', aadObjectId: 'aad-carol-0002' };
const BOB: TeamsUser = { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob-0003' };
const ROOT: TeamsUser = { id: '29:root', name: 'Root', aadObjectId: 'aad-root-0004' };

beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  await bindTenant(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  await seedUser(db, org.id, { email: 'bob@example.com' });
  await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  const role = await seedRole(db, org.id, { name: 'prod', members: [alice.id], resources: [r.id], approvers: [carol.id], approvalTimeoutMinutes: 30 });
  for (const [u, email] of [[ALICE, 'alice@example.com'], [CAROL, 'carol@example.com'], [BOB, 'bob@example.com'], [ROOT, 'root@example.com']] as const) {
    h.connector.addMember(u.id, { aadObjectId: u.aadObjectId, email });
  }
  aliceId = alice.id;
  roleId = role.id;
});
afterAll(async () => h?.close());

/** Alice asks in her 1:1 chat; returns her session and the approval card posted in the channel. */
async function request() {
  h.clock.advance(MINUTE_MS);
  const before = h.connector.messages.size;
  expect((await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'start 2h'))).status).toBe(200);
  const reply = [...h.connector.messages.values()].slice(before)[0]!;
  expect(await h.confirmClaim(claimUrlOf(h.connector.latest(reply)))).toBe(200);
  await h.runJobs();
  const [mine] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
  const card = h.connector.in(CHANNEL).at(-1)!;
  return { session: mine!, card };
}

const click = async (from: TeamsUser, verb: string, sessionId: string, card: PostedMessage) => {
  const res = await h.post(executeClick(h.connector.serviceUrl, from, `${CHANNEL};messageid=${card.id}`, card.id, verb, { sessionId }));
  expect(res.status).toBe(200);
  return (await res.json()) as { type: string; value: unknown };
};
const stateOf = async (id: string) => (await h.deps.db.select().from(sessions).where(eq(sessions.id, id)))[0]!.state;
const aliceTexts = () => h.connector.in(personalConversation(ALICE)).map((m) => textOf(h.connector.latest(m)));

describe('approvals in a Teams channel', () => {
  it('an admin registers the channel with "approvals here <role>" in it; others may not', async () => {
    const before = h.connector.messages.size;
    await h.post(channelMessage(h.connector.serviceUrl, BOB, 'approvals here prod'));
    await h.post(channelMessage(h.connector.serviceUrl, ROOT, 'approvals here prod'));
    const answers = [...h.connector.messages.values()].slice(before).map((m) => textOf(h.connector.latest(m)));
    expect(answers).toEqual([expect.stringContaining('Only an admin'), expect.stringContaining('will be posted in this channel')]);
    const [role] = await h.deps.db.select().from(roles).where(eq(roles.id, roleId));
    expect(role!.approvalChannels).toMatchObject({ teams: CHANNEL });
  });

  it('posts the request with Approve/Deny; only an approver other than the requester decides; the card is refreshed for everyone', async () => {
    const { session, card } = await request();
    expect(session.state).toBe('AWAITING_APPROVAL');
    const json = JSON.stringify(cardIn(h.connector.latest(card)));
    for (const s of ['alice@example.com', '2h', '203.0.113.7', 'prod-db', VERB.approvalApprove, VERB.approvalDeny]) expect(json).toContain(s);

    const self = await click(ALICE, VERB.approvalApprove, session.id, card);
    expect(self).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: expect.stringContaining('your own') });
    const other = await click(BOB, VERB.approvalApprove, session.id, card);
    expect(String(other.value)).toContain('not an approver');
    expect(await stateOf(session.id)).toBe('AWAITING_APPROVAL');
    const refusals = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'APPROVAL_APPROVE'));
    expect(refusals.filter((e) => e.result === 'DENIED')).toHaveLength(2);

    const ok = await click(CAROL, VERB.approvalApprove, session.id, card);
    expect(ok.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(ok.value)).toContain('Approved by carol@example.com');
    const again = await click(CAROL, VERB.approvalDeny, session.id, card);
    expect(String(again.value)).toContain('already answered');
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('ACTIVE');
    const updated = JSON.stringify(cardIn(h.connector.latest(card)));
    expect(updated).toContain('Approved by carol@example.com');
    expect(updated).not.toContain(VERB.approvalApprove);
    expect(h.connector.calls.some((c) => c.method === 'PUT' && c.path.endsWith(`/v3/conversations/${CHANNEL}/activities/${card.id}`))).toBe(true);
    expect(aliceTexts().filter((t) => t.includes('approved by carol@example.com'))).toHaveLength(1);
    await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'stop all'));
    await h.runJobs();
  });

  it('a denial updates the card and tells the requester 1:1', async () => {
    const { session, card } = await request();
    await click(CAROL, VERB.approvalDeny, session.id, card);
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('DENIED');
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('Denied by carol@example.com');
    expect(aliceTexts().filter((t) => t.includes('denied by carol@example.com'))).toHaveLength(1);
  });

  it('an unanswered request times out: the card says so and the requester is told', async () => {
    const { session, card } = await request();
    h.clock.advance(31 * MINUTE_MS);
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('DENIED');
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('Timed out');
    expect(aliceTexts().filter((t) => t.includes('Nobody approved your request'))).toHaveLength(1);
  });

  it('a channel the bot is not in: the requester still gets the card, the job does not retry forever', async () => {
    h.connector.botNotIn('19:elsewhere@thread.tacv2');
    await h.deps.db.update(roles).set({ approvalChannels: { teams: '19:elsewhere@thread.tacv2' } }).where(eq(roles.id, roleId));
    const posts = h.connector.in('19:elsewhere@thread.tacv2').length;
    const { session } = await request();
    expect(session.state).toBe('AWAITING_APPROVAL');
    expect(h.connector.calls.some((c) => c.method === 'POST' && c.path.endsWith('/v3/conversations') && JSON.stringify(c.body).includes('19:elsewhere'))).toBe(true);
    expect(h.connector.in('19:elsewhere@thread.tacv2')).toHaveLength(posts);
    const card = h.connector.in(personalConversation(ALICE)).filter((m) => isSessionCard(m.versions[0])).at(-1)!;
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('Awaiting approval');
    expect(await h.jobsOf('notify_session')).toEqual([]);
    // Nobody could be asked: Alice is told so, once, even when the notification runs again.
    const unreachable = () => aliceTexts().filter((t) => t.includes('could not post your request'));
    expect(unreachable()).toHaveLength(1);
    await h.deps.db.transaction((tx) => h.deps.jobs.notifySession(tx, session.id, 'requested'));
    await h.runJobs();
    expect(unreachable()).toHaveLength(1);
    await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'stop all'));
    await h.runJobs();
    await h.deps.db.update(roles).set({ approvalChannels: { teams: CHANNEL } }).where(eq(roles.id, roleId));
  });

  it('no approval channel anywhere: the requester is told, once, that nobody was asked in chat', async () => {
    await h.deps.db.update(roles).set({ approvalChannels: {} }).where(eq(roles.id, roleId));
    const channelPosts = h.connector.in(CHANNEL).length;
    const { session } = await request();
    expect(session.state).toBe('AWAITING_APPROVAL');
    expect(h.connector.in(CHANNEL)).toHaveLength(channelPosts);
    const notices = () => aliceTexts().filter((t) => t.includes("No approvers' channel"));
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('approvals here ROLE');
    await h.deps.db.transaction((tx) => h.deps.jobs.notifySession(tx, session.id, 'requested'));
    await h.runJobs();
    expect(notices()).toHaveLength(1);
    await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'stop all'));
    await h.runJobs();
    await h.deps.db.update(roles).set({ approvalChannels: { teams: CHANNEL } }).where(eq(roles.id, roleId));
  });

  it('signed every connector call (channel posts included) with a token for the Bot Framework audience', () => {
    expect(h.connector.calls.some((c) => c.method === 'POST' && c.path.endsWith('/v3/conversations'))).toBe(true);
    expect(h.connector.calls.filter((c) => c.auth !== 'Bearer test-outbound-token')).toEqual([]);
  });
});
