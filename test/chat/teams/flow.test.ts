import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { auditEvents, sessions } from '../../../src/db/schema/index.ts';
import { HOUR_MS } from '../../../src/shared/clock.ts';
import { channelMessage, executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, textOf, type TeamsHarness, isSessionCard } from './harness.ts';

let h: TeamsHarness;
let fx: Awaited<ReturnType<typeof seed>>;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };
const BOB: TeamsUser = { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob-0002' };
const STRANGER: TeamsUser = { id: '29:stranger', name: 'Stranger', aadObjectId: 'aad-stranger-0003' };

async function seed() {
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  await bindTenant(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const bob = await seedUser(db, org.id, { email: 'bob@example.com' });
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  const r2 = await seedResource(db, org.id, { name: 'bastion' });
  await seedRole(db, org.id, { members: [alice.id, bob.id], resources: [r1.id, r2.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'Alice@Example.com' });
  h.connector.addMember(BOB.id, { aadObjectId: BOB.aadObjectId, email: 'bob@example.com' });
  h.connector.addMember(STRANGER.id, { aadObjectId: STRANGER.aadObjectId, email: 'stranger@elsewhere.com' });
  return { org, alice, bob };
}

beforeAll(async () => {
  h = await createTeamsHarness();
  fx = await seed();
});
afterAll(async () => h?.close());

const say = async (from: TeamsUser, text: string) => {
  const before = h.connector.messages.size;
  const res = await h.post(personalMessage(h.connector.serviceUrl, from, text));
  expect(res.status).toBe(200);
  return [...h.connector.messages.values()].slice(before).map((m) => h.connector.latest(m));
};
/** The session cards (messages with a card) in someone's 1:1 chat, newest last. */
const cardsIn = (user: TeamsUser) => h.connector.in(personalConversation(user)).filter((m) => isSessionCard(m.versions[0]));
const texts = (user: TeamsUser) => h.connector.in(personalConversation(user)).map((m) => textOf(h.connector.latest(m)));
const actionData = (card: Record<string, unknown> | undefined, verb: string) =>
  (card?.actions as { verb: string; data: Record<string, unknown> }[] | undefined)?.find((a) => a.verb === verb)?.data;
const click = async (from: TeamsUser, conversationId: string, cardId: string, verb: string, data: Record<string, unknown>) => {
  const res = await h.post(executeClick(h.connector.serviceUrl, from, conversationId, cardId, verb, data));
  expect(res.status).toBe(200);
  return (await res.json()) as { statusCode: number; type: string; value: unknown };
};

describe('start → claim → ACTIVE → Extend → Stop in a 1:1 chat', () => {
  it('runs the whole flow, updating one card in place with replies once per event', async () => {
    const [reply] = await say(ALICE, 'start 2h');
    const link = claimUrlOf(reply);
    expect(cardIn(reply)).toBeDefined();
    expect(await h.confirmClaim(link)).toBe(200);
    await h.runJobs();
    const [session] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.alice.id));
    expect(session!.state).toBe('ACTIVE');
    expect(cardsIn(ALICE)).toHaveLength(1);
    const posted = cardsIn(ALICE)[0]!;
    const card = cardIn(h.connector.latest(posted));
    const json = JSON.stringify(card);
    for (const s of ['Active', '203.0.113.7', 'prod-db', 'bastion', 'open for IPv4', 'Action.Execute', VERB.sessionExtend, VERB.sessionStop]) expect(json).toContain(s);
    expect(card?.version).toBe('1.5');
    expect(texts(ALICE).filter((t) => t.includes('Access is open'))).toHaveLength(1);
    // every proactive call carried the bot's token
    expect(h.connector.calls.every((c) => c.auth === 'Bearer test-outbound-token')).toBe(true);

    const versions = posted.versions.length;
    const answer = await click(ALICE, personalConversation(ALICE), posted.id, VERB.sessionExtend, actionData(card, VERB.sessionExtend)!);
    expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    await h.runJobs();
    const [extended] = await h.deps.db.select().from(sessions).where(eq(sessions.id, session!.id));
    expect(extended!.expiresAt!.getTime() - session!.expiresAt!.getTime()).toBe(HOUR_MS);
    expect(posted.versions.length).toBe(versions + 1); // edited in place (PUT), not re-posted
    expect(actionData(cardIn(h.connector.latest(posted)), VERB.sessionExtend)).not.toEqual(actionData(card, VERB.sessionExtend));

    await click(ALICE, personalConversation(ALICE), posted.id, VERB.sessionStop, { sessionId: session!.id });
    await h.runJobs();
    const [ended] = await h.deps.db.select().from(sessions).where(eq(sessions.id, session!.id));
    expect(ended!.state).toBe('CANCELLED');
    const last = cardIn(h.connector.latest(posted));
    expect(JSON.stringify(last)).toContain('Stopped');
    expect(last?.actions).toBeUndefined();
    expect(texts(ALICE).filter((t) => t.includes('ended: it was stopped'))).toHaveLength(1);
    expect(texts(ALICE).filter((t) => t.includes('Access is open'))).toHaveLength(1);
    expect(cardsIn(ALICE)).toHaveLength(1);
    expect([...h.firewall.state.values()].every((s) => s.size === 0)).toBe(true);
  });

  it('extends once on a double click', async () => {
    await h.confirmClaim(claimUrlOf((await say(BOB, 'start 1h'))[0]), '203.0.113.8');
    await h.runJobs();
    const posted = cardsIn(BOB).at(-1)!;
    const data = actionData(cardIn(h.connector.latest(posted)), VERB.sessionExtend)!;
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.bob.id));
    const [a, b] = await Promise.all([click(BOB, personalConversation(BOB), posted.id, VERB.sessionExtend, data), click(BOB, personalConversation(BOB), posted.id, VERB.sessionExtend, data)]);
    const kinds = [a.type, b.type].sort();
    expect(kinds).toEqual(['application/vnd.microsoft.activity.message', 'application/vnd.microsoft.card.adaptive']);
    expect(JSON.stringify([a.value, b.value])).toContain('Already extended');
    const [after] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(after!.expiresAt!.getTime() - s!.expiresAt!.getTime()).toBe(HOUR_MS);
  });

  it('refuses Stop to someone else (answered to the clicker only), with an audit event', async () => {
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.bob.id));
    const posted = cardsIn(BOB).at(-1)!;
    const answer = await click(ALICE, personalConversation(BOB), posted.id, VERB.sessionStop, { sessionId: s!.id });
    expect(answer).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: expect.stringContaining('Only the person who started this session') });
    const [still] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(still!.state).toBe('ACTIVE');
    const denied = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'SESSION_STOP'));
    expect(denied.some((e) => e.result === 'DENIED' && e.targetId === s!.id)).toBe(true);
  });
});

describe('channels and identity', () => {
  it('answers an @mention in a channel thread and sends the claim link 1:1, never in the channel', async () => {
    const before = h.connector.messages.size;
    const res = await h.post(channelMessage(h.connector.serviceUrl, ALICE, 'start 1h'));
    expect(res.status).toBe(200);
    const fresh = [...h.connector.messages.values()].slice(before);
    const inThread = fresh.filter((m) => m.conversationId.startsWith('19:'));
    expect(inThread.map((m) => textOf(h.connector.latest(m)))).toEqual([expect.stringContaining('private chat')]);
    expect(JSON.stringify(inThread)).not.toContain('/c/');
    const personal = fresh.filter((m) => m.conversationId === personalConversation(ALICE));
    expect(claimUrlOf(h.connector.latest(personal[0]!))).toContain('/c/');
  });

  it('refuses someone EntryGuard does not know, clearly', async () => {
    const [reply] = await say(STRANGER, 'start');
    expect(String(reply?.text)).toContain('does not know you');
  });

  it('maps the AAD object id, remembered after the first email match', async () => {
    const [reply] = await say(ALICE, 'status');
    expect(String(reply?.text)).not.toContain('does not know you');
  });
});
