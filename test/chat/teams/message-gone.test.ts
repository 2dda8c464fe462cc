import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { roleMembers, roles, sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { CHANNEL, executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { claimUrlOf, createTeamsOrgHarness, isSessionCard, seedTeamsPerson, textOf, type TeamsHarness } from './harness.ts';

/*
 * Issue 11, point 6 on Teams: someone deletes a card (or the warning) in Teams; the connector
 * answers 404 MessageNotFound to every edit. The notifier posts a new card and carries on — the
 * job succeeds, no retries for days — and the end-of-session reply still arrives.
 */
let h: TeamsHarness;
let fx: { aliceId: string; orgId: string; roleId: string };
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };

beforeAll(async () => {
  const made = await createTeamsOrgHarness();
  h = made.h;
  const { db } = h.deps;
  const org = made.org;
  const alice = await seedTeamsPerson(h, org.id, ALICE, 'alice@example.com');
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  const role = await seedRole(db, org.id, { name: 'dev', members: [alice.id], resources: [r.id] });
  await seedRole(db, org.id, { name: 'prod', resources: [r.id], approvers: [carol.id], approvalTimeoutMinutes: 30 });
  fx = { aliceId: alice.id, orgId: org.id, roleId: role.id };
});
afterAll(async () => h?.close());

const say = async (text: string) => {
  const before = h.connector.messages.size;
  expect((await h.post(personalMessage(h.connector.serviceUrl, ALICE, text))).status).toBe(200);
  return [...h.connector.messages.values()].slice(before).map((m) => h.connector.latest(m));
};
const chat = () => h.connector.in(personalConversation(ALICE));
const sessionCards = () => chat().filter((m) => isSessionCard(m.versions[0]));
const latestSession = async () => (await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.aliceId)).orderBy(desc(sessions.createdAt)).limit(1))[0]!;
const notifyJobs = () => h.jobsOf('notify_session');

describe('a deleted message', () => {
  it('the session card: a new one is posted, the job succeeds at once, later updates and the end reply go on', async () => {
    await h.confirmClaim(claimUrlOf((await say('start 2h'))[0]));
    await h.runJobs();
    const [first] = sessionCards();
    h.connector.deleteMessage(first!.id);

    expect(textOf((await say('extend 1h'))[0])).toContain('now ends');
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    const s = await latestSession();
    const [second] = sessionCards();
    expect(second!.id).not.toBe(first!.id);
    expect(JSON.stringify(cardIn(h.connector.latest(second!)))).toContain(`{{DATE(${s.expiresAt!.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
    const puts = h.connector.calls.filter((c) => c.method === 'PUT' && c.path.endsWith(`/activities/${first!.id}`)).length;

    await say('stop');
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    expect(JSON.stringify(cardIn(h.connector.latest(second!)))).toContain('Stopped');
    expect(chat().filter((m) => textOf(h.connector.latest(m)).includes('ended: it was stopped'))).toHaveLength(1);
    // The deleted card is not tried again.
    expect(h.connector.calls.filter((c) => c.method === 'PUT' && c.path.endsWith(`/activities/${first!.id}`))).toHaveLength(puts);
  });

  it('the warning: forgotten, not retried; after Stop nothing in the chat keeps a button', async () => {
    await h.confirmClaim(claimUrlOf((await say('start 1h'))[0]), '203.0.113.9');
    await h.runJobs();
    const s = await latestSession();
    h.clock.set(new Date(s.expiresAt!.getTime() - 10 * MINUTE_MS));
    await h.runJobs();
    await h.runJobs();
    const warning = chat().find((m) => textOf(m.versions[0]).includes('in about 10 minutes'))!;
    expect(textOf(warning.versions[0])).toContain(`EntryGuard session ${s.id.slice(0, 8)} ends`);
    h.connector.deleteMessage(warning.id);
    await say('extend 1h');
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    await say('stop');
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    expect(chat().filter((m) => cardIn(h.connector.latest(m))?.actions)).toEqual([]);
  });

  it('the approval card: a new one is posted in the channel, with the outcome', async () => {
    await h.deps.db.update(roles).set({ approvalChannels: { teams: CHANNEL } }).where(eq(roles.name, 'prod'));
    // Alice joins the role that needs approval.
    const [prod] = await h.deps.db.select().from(roles).where(eq(roles.name, 'prod'));
    await h.deps.db.insert(roleMembers).values({ roleId: prod!.id, userId: fx.aliceId });
    await h.confirmClaim(claimUrlOf((await say('start 1h'))[0]), '203.0.113.10');
    await h.runJobs();
    const s = await latestSession();
    expect(s.state).toBe('AWAITING_APPROVAL');
    const card = h.connector.in(CHANNEL).at(-1)!;
    expect(cardIn(card.versions[0])?.actions).toBeDefined();
    h.connector.deleteMessage(card.id);
    const click = await h.post(executeClick(h.connector.serviceUrl, ALICE, personalConversation(ALICE), sessionCards().at(-1)!.id, VERB.sessionStop, { sessionId: s.id, card: 'session' }));
    expect(click.status).toBe(200);
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    const again = h.connector.in(CHANNEL).at(-1)!;
    expect(again.id).not.toBe(card.id);
    expect(textOf(h.connector.latest(again))).toContain('Withdrawn by the requester');
    expect(cardIn(h.connector.latest(again))?.actions).toBeUndefined();
  });
});
