import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { chatIdentities, claims, sessions, users } from '../../../src/db/schema/index.ts';
import { BOT, CHANNEL, TENANT, channelMessage, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf, isSessionCard } from './harness.ts';

let h: TeamsHarness;
let fx: { orgId: string; aliceId: string; carolId: string };
const user = (name: string): TeamsUser => ({ id: `29:${name}`, name, aadObjectId: `aad-${name}` });
const ALICE = user('alice');
const CAROL = user('carol');
const ROOT = user('root');
const NOMAIL = user('nomail');

beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'free' });
  await bindTenant(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { name: 'dev', members: [alice.id, carol.id], resources: [r.id] });
  for (const [u, email] of [[ALICE, 'alice@example.com'], [CAROL, 'carol@example.com'], [ROOT, 'root@example.com']] as const) h.connector.addMember(u.id, { aadObjectId: u.aadObjectId, email });
  fx = { orgId: org.id, aliceId: alice.id, carolId: carol.id };
});
afterAll(async () => h?.close());

/** Says `text` in the 1:1 chat; returns the reply's text (and whole activity). */
async function say(from: TeamsUser, text: string, activity?: Record<string, unknown>) {
  const before = h.connector.messages.size;
  const res = await h.post(activity ?? personalMessage(h.connector.serviceUrl, from, text));
  expect(res.status).toBe(200);
  const reply = [...h.connector.messages.values()].slice(before).map((m) => h.connector.latest(m))[0];
  return { text: textOf(reply), reply };
}

describe('messages to the bot', () => {
  it('refuses unknown people, people Teams has no member record for, other tenants and disabled users — never a claim', async () => {
    expect((await say(NOMAIL, 'start')).text).toContain('EntryGuard does not know you yet');
    const other = personalMessage(h.connector.serviceUrl, ALICE, 'start');
    other.conversation.tenantId = '99999999-0000-0000-0000-000000000000';
    other.channelData.tenant = { id: other.conversation.tenantId };
    expect((await say(ALICE, '', other)).text).toContain('not connected');
    await h.deps.db.update(users).set({ isActive: false }).where(eq(users.id, fx.carolId));
    expect((await say(CAROL, 'start')).text).toContain('disabled');
    expect(await h.deps.db.select().from(claims)).toHaveLength(0);
  });

  it('knows a person mapped in the org file by AAD object id without a member lookup', async () => {
    const dave = await seedUser(h.deps.db, fx.orgId, { email: 'dave@example.com' });
    await h.deps.db.insert(chatIdentities).values({ userId: dave.id, platform: 'teams', externalId: 'aad-dave', source: 'config' });
    const lookups = h.connector.calls.filter((c) => c.path.includes('/members/')).length;
    expect((await say(user('dave'), 'status')).text).toContain('no running session');
    expect(h.connector.calls.filter((c) => c.path.includes('/members/'))).toHaveLength(lookups);
  });

  it('answers bad input with usage and the durations this user may pick; help lists the commands', async () => {
    for (const bad of ['start 3x', 'start 8h', 'frobnicate', 'extend a b c']) expect((await say(ALICE, bad)).text).toContain('Durations you may pick: 1h, 2h, 4h');
    expect((await say(ALICE, 'help')).text).toContain('`start 2h fixing INC-123`');
    // The free plan offers 1h, 2h and 4h: help names those, never an example the plan refuses.
    expect((await say(ALICE, 'help')).text).toContain('1h, 2h, 4h');
    expect((await say(ALICE, 'help')).text).not.toContain('90m');
    expect((await say(ALICE, 'help')).text).not.toContain('approvals here');
    expect((await say(ROOT, 'help')).text).toContain('approvals here ROLE');
  });

  it('start stores where to post the card: the conversation reference, tenant and the 1:1 chat', async () => {
    claimUrlOf((await say(ALICE, 'start 2h')).reply);
    const [latest] = await h.deps.db.select().from(claims).orderBy(desc(claims.createdAt)).limit(1);
    expect(latest!.durationMinutes).toBe(120);
    expect(latest!.originContext).toMatchObject({
      tenantId: TENANT,
      userId: ALICE.id,
      serviceUrl: h.connector.serviceUrl,
      conversation: { conversation: { id: personalConversation(ALICE) }, serviceUrl: h.connector.serviceUrl },
      personal: { conversation: { id: personalConversation(ALICE) } },
    });
  });

  it('resources, status, extend and stop by id; admin-only commands refuse others', async () => {
    expect((await say(ALICE, 'resources')).text).toContain('prod-db');
    expect((await say(ALICE, 'status')).text).toContain('no running session');
    await h.confirmClaim(claimUrlOf((await say(ALICE, 'start 2h')).reply));
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.aliceId));
    const id = s!.id.slice(0, 8);
    expect((await say(ALICE, 'status')).text).toContain(id);
    expect((await say(ALICE, `extend ${id} 1h`)).text).toContain('now ends');
    expect((await say(ALICE, 'sessions')).text).toContain('Only an admin');
    expect((await say(ROOT, 'sessions')).text).toContain('alice@example.com');
    expect((await say(ROOT, 'approvals here dev')).text).toContain('in the team channel');
    expect((await say(ROOT, `stop ${id}`)).text).toContain('Stopping');
    await h.runJobs();
    const [after] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(after).toMatchObject({ state: 'CANCELLED', endedReason: 'ADMIN' });
    expect((await say(ALICE, 'stop')).text).toContain('no running session');
  });

  it('a start in a channel thread puts the card and its replies in the 1:1 chat, never in the thread; status there is answered privately; the Action.Submit fallback works too', async () => {
    await say(ALICE, '', channelMessage(h.connector.serviceUrl, ALICE, 'start 1h', '1700000000777'));
    const link = h.connector.in(personalConversation(ALICE)).map((m) => h.connector.latest(m)).filter((a) => JSON.stringify(a).includes('/c/')).at(-1);
    await h.confirmClaim(claimUrlOf(link), '203.0.113.30');
    await h.runJobs();
    const thread = `${CHANNEL};messageid=1700000000777`;
    // The thread only learns that the answer went to a private chat: no email, address or card.
    expect(h.connector.in(thread).map((m) => textOf(h.connector.latest(m)))).toEqual([expect.stringContaining('private chat')]);
    const card = h.connector.in(personalConversation(ALICE)).filter((m) => isSessionCard(m.versions[0])).at(-1)!;
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('Active');
    expect(h.connector.in(personalConversation(ALICE)).some((m) => textOf(h.connector.latest(m)).includes('Access is open'))).toBe(true);

    const statusRoot = '1700000000778';
    await say(ALICE, '', channelMessage(h.connector.serviceUrl, ALICE, 'status', statusRoot));
    const statusThread = h.connector.in(`${CHANNEL};messageid=${statusRoot}`).map((m) => textOf(h.connector.latest(m)));
    expect(statusThread).toEqual([expect.stringContaining('private chat')]);
    expect(statusThread.join()).not.toContain('203.0.113.30');
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
    expect(textOf(h.connector.latest(h.connector.in(personalConversation(ALICE)).at(-1)!))).toContain(s!.id.slice(0, 8));

    const submit = { ...personalMessage(h.connector.serviceUrl, ALICE, ''), text: undefined, replyToId: card.id, value: { verb: VERB.sessionStop, sessionId: s!.id } };
    await h.post(submit);
    await h.runJobs();
    const [stopped] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(stopped!.state).toBe('CANCELLED');
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('Stopped');
    expect(h.connector.in(thread)).toHaveLength(1);
  });

  it('says hello when installed in a team (asking an admin to choose the approval channel), not when someone else joins', async () => {
    const install = (members: { id: string }[]) => ({ ...channelMessage(h.connector.serviceUrl, ROOT, ''), type: 'conversationUpdate', text: undefined, entities: undefined, membersAdded: members, channelData: { tenant: { id: TENANT }, channel: { id: CHANNEL }, team: { id: CHANNEL }, eventType: 'teamMemberAdded' } });
    expect((await say(ROOT, '', install([BOT]))).text).toContain('approvals here ROLE');
    const before = h.connector.messages.size;
    expect((await h.post(install([{ id: '29:newcomer' }]))).status).toBe(200);
    expect(h.connector.messages.size).toBe(before);
  });
});
