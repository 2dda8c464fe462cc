import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { claims, sessions } from '../../../src/db/schema/index.ts';
import { HOUR_MS, MINUTE_MS } from '../../../src/shared/clock.ts';
import { channelMessage, executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn, type PostedMessage } from '../../fakes/teams/fake-connector.ts';
import { seedResource, seedRole } from '../../helpers/seed.ts';
import { claimUrlOf, createTeamsOrgHarness, isSessionCard, seedTeamsPerson, textOf, type TeamsHarness } from './harness.ts';

/*
 * Issue 11, points 2–4 on Teams: `start` without a duration answers a form (Action.Execute) with
 * the durations offered to this person, what will open and a reason; Start gives the claim link
 * in place of the form; the link's message says when it was used or expired; the welcome offers
 * Start, Status and Help; the session card extends by a chosen amount within the cap.
 */
let h: TeamsHarness;
let fx: { aliceId: string };
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };

beforeAll(async () => {
  // Free plan: 1h, 2h, 4h offered, 4h in total at most.
  const made = await createTeamsOrgHarness('free');
  h = made.h;
  const { db } = h.deps;
  const org = made.org;
  const alice = await seedTeamsPerson(h, org.id, ALICE, 'alice@example.com');
  const r1 = await seedResource(db, org.id, { name: 'prod-db' });
  const r2 = await seedResource(db, org.id, { name: 'bastion' });
  await seedRole(db, org.id, { members: [alice.id], resources: [r1.id, r2.id] });
  fx = { aliceId: alice.id };
});
afterAll(async () => h?.close());

const chat = () => h.connector.in(personalConversation(ALICE));
const say = async (text: string, activity?: Record<string, unknown>) => {
  const before = h.connector.messages.size;
  expect((await h.post(activity ?? personalMessage(h.connector.serviceUrl, ALICE, text))).status).toBe(200);
  return [...h.connector.messages.values()].slice(before);
};
type Action = { type: string; verb?: string; title: string; data?: Record<string, unknown>; url?: string };
const actionsOf = (c: Record<string, unknown> | undefined) => (c?.actions ?? []) as Action[];
const click = async (on: PostedMessage, verb: string, data: Record<string, unknown>) => {
  const res = await h.post(executeClick(h.connector.serviceUrl, ALICE, personalConversation(ALICE), on.id, verb, data));
  expect(res.status).toBe(200);
  return (await res.json()) as { type: string; value: unknown };
};
const latestSession = async () => (await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.aliceId)).orderBy(desc(sessions.createdAt)).limit(1))[0]!;
const stopAll = async () => {
  await say('stop all');
  await h.runJobs();
};

describe('start with a form', () => {
  it('`start` answers a form: the offered durations, what opens, a reason; Start puts the link in its place; the link says when it was used', async () => {
    const [form] = await say('start');
    const card = cardIn(form!.versions[0])!;
    expect(Number(card.version)).toBeGreaterThanOrEqual(1.4);
    const body = card.body as Record<string, unknown>[];
    const choice = body.find((b) => b.type === 'Input.ChoiceSet')!;
    expect((choice.choices as { title: string; value: string }[]).map((c) => c.title)).toEqual(['1h', '2h', '4h']);
    expect(body.find((b) => b.type === 'Input.Text')).toMatchObject({ id: 'reason' });
    expect(textOf(form!.versions[0])).toContain('bastion (memory), prod-db (memory)');
    const start = actionsOf(card).find((a) => a.verb === VERB.sessionStart)!;
    expect(start.type).toBe('Action.Execute');

    // Teams merges the inputs into the button's data.
    const answer = await click(form!, VERB.sessionStart, { ...start.data, duration: '120', reason: 'fixing INC-123' });
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    const link = answer.value as Record<string, unknown>;
    expect(actionsOf(link)[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'Confirm my IP' });
    expect(JSON.stringify(link)).toContain('start a 2h session');
    expect(link.refresh).toMatchObject({ action: { verb: VERB.cardRefresh }, userIds: [ALICE.id] });
    const [claim] = await h.deps.db.select().from(claims);
    expect(claim!.durationMinutes).toBe(120);
    expect(claim!.originContext).toMatchObject({ reason: 'fixing INC-123', claimCard: { activityId: form!.id } });

    expect(await h.confirmClaim(String(actionsOf(link)[0]!.url))).toBe(200);
    await h.runJobs();
    const s = await latestSession();
    expect(s.state).toBe('ACTIVE');
    const sessionCard = chat().filter((m) => isSessionCard(m.versions[0])).at(-1)!;
    expect(JSON.stringify(cardIn(h.connector.latest(sessionCard)))).toContain(`{"title":"Reason","value":"fixing INC-123"}`);
    // The form's message (now the link) tells everyone the link was used, with nothing to press.
    const used = h.connector.latest(form!);
    expect(textOf(used)).toContain(`This link was used: EntryGuard session ${s.id.slice(0, 8)} started`);
    expect(cardIn(used)?.actions).toBeUndefined();
    await stopAll();
  });

  it('`start 2h fixing INC-123` records the reason; a channel gets only a pointer, the link and the form go 1:1', async () => {
    const [msg] = await say('start 1h fixing INC-123');
    expect(claimUrlOf(h.connector.latest(msg!))).toContain('/c/');
    // (the test clock stands still: find the claim by its message, not by time)
    const mine = (await h.deps.db.select().from(claims)).filter((c) => (c.originContext as { claimCard?: { activityId: string } }).claimCard?.activityId === msg!.id);
    expect(mine.map((c) => c.originContext)).toEqual([expect.objectContaining({ reason: 'fixing INC-123' })]);

    const fresh = await say('', channelMessage(h.connector.serviceUrl, ALICE, 'start', '1700000000900'));
    const inThread = fresh.filter((m) => m.conversationId.startsWith('19:'));
    expect(inThread.map((m) => textOf(h.connector.latest(m)))).toEqual([expect.stringContaining('private chat')]);
    expect(fresh.filter((m) => m.conversationId === personalConversation(ALICE)).map((m) => JSON.stringify(m.versions[0]))).toEqual([expect.stringContaining('Input.ChoiceSet')]);
  });

  it('an expired link says so when its owner looks at it (Teams refreshes it), with Start again', async () => {
    const [msg] = await say('start 1h');
    const link = cardIn(h.connector.latest(msg!))!;
    const refresh = (link.refresh as { action: { verb: string; data: Record<string, unknown> } }).action;
    const fresh = await click(msg!, refresh.verb, refresh.data);
    expect(JSON.stringify(fresh.value)).toContain('Confirm my IP');
    h.clock.advance(10 * MINUTE_MS);
    const expired = (await click(msg!, refresh.verb, refresh.data)).value as Record<string, unknown>;
    expect(textOf({ attachments: [{ content: expired }] })).toContain('This link expired before it was used');
    expect(JSON.stringify(expired)).not.toContain('/c/');
    expect(actionsOf(expired).map((a) => a.verb)).toEqual([VERB.startForm]);
    // Start again posts a fresh form below.
    const before = chat().length;
    await click(msg!, VERB.startForm, { card: 'claim' });
    expect(chat().slice(before).map((m) => JSON.stringify(m.versions[0]))).toEqual([expect.stringContaining('Input.ChoiceSet')]);
  });

  it('the welcome card offers Start, Status and Help, each answered in the chat', async () => {
    const install = { ...personalMessage(h.connector.serviceUrl, ALICE, ''), type: 'conversationUpdate', text: undefined, membersAdded: [{ id: '28:00000000-0000-0000-0000-00000000b07a' }] };
    const [welcome] = await say('', install);
    const verbs = actionsOf(cardIn(welcome!.versions[0])).map((a) => [a.title, a.verb]);
    expect(verbs).toEqual([
      ['Start', VERB.startForm],
      ['Status', VERB.showStatus],
      ['Help', VERB.showHelp],
    ]);
    for (const [verb, expected] of [
      [VERB.startForm, 'Input.ChoiceSet'],
      [VERB.showStatus, 'no running session'],
      [VERB.showHelp, 'start 2h fixing INC-123'],
    ] as const) {
      const before = chat().length;
      const answer = await click(welcome!, verb, { card: 'welcome' });
      expect(answer.type).toBe('application/vnd.microsoft.activity.message');
      expect(JSON.stringify(chat().slice(before).map((m) => m.versions[0]))).toContain(expected);
    }
  });
});

describe('Extend by a chosen amount', () => {
  it('offers only what the cap allows, and adds the amount chosen', async () => {
    const [msg] = await say('start 1h');
    await h.confirmClaim(claimUrlOf(h.connector.latest(msg!)), '203.0.113.50');
    await h.runJobs();
    const card = chat().filter((m) => isSessionCard(m.versions[0])).at(-1)!;
    const extend = () => actionsOf(cardIn(h.connector.latest(card))).filter((a) => a.verb === VERB.sessionExtend);
    // 1h of a 4h cap: 1h and 2h fit, 4h does not.
    expect(extend().map((a) => a.title)).toEqual(['Extend 1h', 'Extend 2h']);
    const s = await latestSession();
    await click(card, VERB.sessionExtend, extend().find((a) => a.title === 'Extend 2h')!.data!);
    await h.runJobs();
    const after = await latestSession();
    expect(after.expiresAt!.getTime() - s.expiresAt!.getTime()).toBe(2 * HOUR_MS);
    // 3h of 4h: only the last hour is left.
    expect(extend().map((a) => a.title)).toEqual(['Extend 1h']);
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('"value":"3h"');
    await stopAll();
    expect(cardIn(h.connector.latest(card))?.actions).toBeUndefined();
  });
});

describe('the whole flow from the welcome card', () => {
  it('welcome → Start → form → link → ACTIVE → Extend 2h → Stop, every message current at each step', async () => {
    const install = { ...personalMessage(h.connector.serviceUrl, ALICE, ''), type: 'conversationUpdate', text: undefined, membersAdded: [{ id: '28:00000000-0000-0000-0000-00000000b07a' }] };
    const from = chat().length;
    const [welcome] = await say('', install);
    let before = chat().length;
    await click(welcome!, VERB.startForm, { card: 'welcome' });
    const form = chat().slice(before)[0]!;
    const start = actionsOf(cardIn(form.versions[0])).find((a) => a.verb === VERB.sessionStart)!;
    const link = (await click(form, VERB.sessionStart, { ...start.data, duration: '60', reason: 'deploy' })).value as Record<string, unknown>;
    before = chat().length;
    expect(await h.confirmClaim(String(actionsOf(link)[0]!.url), '203.0.113.77')).toBe(200);
    await h.runJobs();
    const s = await latestSession();
    expect(s.state).toBe('ACTIVE');
    const card = chat().slice(before).find((m) => isSessionCard(m.versions[0]))!;
    expect(textOf(h.connector.latest(card))).toContain('Active');
    expect(textOf(h.connector.latest(form))).toContain('This link was used');
    expect(chat().slice(before).map((m) => textOf(h.connector.latest(m)))).toContainEqual(expect.stringContaining(`Access is open until {{DATE(`));

    const extend2h = actionsOf(cardIn(h.connector.latest(card))).find((a) => a.title === 'Extend 2h')!;
    const answer = (await click(card, VERB.sessionExtend, extend2h.data!)).value as Record<string, unknown>;
    await h.runJobs();
    const extended = await latestSession();
    expect(extended.expiresAt!.getTime() - s.expiresAt!.getTime()).toBe(2 * HOUR_MS);
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toEqual(JSON.stringify(answer));
    expect(JSON.stringify(answer)).toContain('"value":"3h"');

    await click(card, VERB.sessionStop, { sessionId: s.id, card: 'session' });
    await h.runJobs();
    expect((await latestSession()).state).toBe('CANCELLED');
    expect(textOf(h.connector.latest(card))).toContain('Stopped');
    expect(chat().filter((m) => textOf(h.connector.latest(m)).includes(`session ${s.id.slice(0, 8)} ended: it was stopped. Access is closed.`))).toHaveLength(1);
    // Of this flow's messages only the welcome keeps buttons (they still apply): no card shows Active with live buttons.
    const live = chat().slice(from).filter((m) => m.id !== welcome!.id && cardIn(h.connector.latest(m))?.actions);
    expect(live.map((m) => textOf(h.connector.latest(m)))).toEqual([]);
  });
});
