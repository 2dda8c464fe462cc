import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { roles, sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn, type PostedMessage } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness } from './harness.ts';

let h: TeamsHarness;
let carolId: string;
const CAROL: TeamsUser = { id: '29:carol', name: 'Carol', aadObjectId: 'aad-carol-0102' };
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0101' };
const BOB: TeamsUser = { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob-0103' };
const CHANNEL_A = '19:ops-a@thread.tacv2';
const CHANNEL_B = '19:ops-b@thread.tacv2';

/** Issue 10, point 2: Carol is in ops-a (approver Alice) and ops-b (approver Bob), each with its channel. */
beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  await bindTenant(h, org.id);
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const bob = await seedUser(db, org.id, { email: 'bob@example.com' });
  const a = await seedResource(db, org.id, { name: 'db-a' });
  const b = await seedResource(db, org.id, { name: 'db-b' });
  const roleA = await seedRole(db, org.id, { name: 'ops-a', members: [carol.id], resources: [a.id], approvers: [alice.id] });
  const roleB = await seedRole(db, org.id, { name: 'ops-b', members: [carol.id], resources: [b.id], approvers: [bob.id] });
  await db.update(roles).set({ approvalChannels: { teams: CHANNEL_A } }).where(eq(roles.id, roleA.id));
  await db.update(roles).set({ approvalChannels: { teams: CHANNEL_B } }).where(eq(roles.id, roleB.id));
  for (const [u, email] of [[CAROL, 'carol@example.com'], [ALICE, 'alice@example.com'], [BOB, 'bob@example.com']] as const) {
    h.connector.addMember(u.id, { aadObjectId: u.aadObjectId, email });
  }
  carolId = carol.id;
});
afterAll(async () => h?.close());

async function request() {
  h.clock.advance(MINUTE_MS);
  const before = h.connector.messages.size;
  expect((await h.post(personalMessage(h.connector.serviceUrl, CAROL, 'start 2h'))).status).toBe(200);
  const reply = [...h.connector.messages.values()].slice(before)[0]!;
  expect(await h.confirmClaim(claimUrlOf(h.connector.latest(reply)))).toBe(200);
  await h.runJobs();
  const [mine] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, carolId)).orderBy(desc(sessions.createdAt)).limit(1);
  return { session: mine!, cardA: h.connector.in(CHANNEL_A).at(-1)!, cardB: h.connector.in(CHANNEL_B).at(-1)! };
}

/** Clicks a button of the card as rendered (its data names the role). */
const click = async (from: TeamsUser, verb: string, channel: string, card: PostedMessage) => {
  const actions = (cardIn(h.connector.latest(card)) as { actions?: { verb: string; data: Record<string, unknown> }[] }).actions ?? [];
  const data = actions.find((a) => a.verb === verb)!.data;
  const res = await h.post(executeClick(h.connector.serviceUrl, from, `${channel};messageid=${card.id}`, card.id, verb, data));
  expect(res.status).toBe(200);
  return (await res.json()) as { type: string; value: unknown };
};
const shown = (card: PostedMessage) => JSON.stringify(cardIn(h.connector.latest(card)));
const stateOf = async (id: string) => (await h.deps.db.select().from(sessions).where(eq(sessions.id, id)))[0]!.state;
const carolTexts = () => h.connector.in(personalConversation(CAROL)).map((m) => JSON.stringify(h.connector.latest(m)));

describe('approvals per role in Teams', () => {
  it("one card per role in its channel, naming the role; each role's approver approves only their role", async () => {
    const { session, cardA, cardB } = await request();
    expect(shown(cardA)).toContain('Approval for role **ops-a**');
    expect(shown(cardB)).toContain('Approval for role **ops-b**');
    expect(carolTexts().some((t) => t.includes('ops-a, ops-b'))).toBe(true);

    expect(String((await click(BOB, VERB.approvalApprove, CHANNEL_A, cardA)).value)).toContain('not an approver');
    const ok = await click(BOB, VERB.approvalApprove, CHANNEL_B, cardB);
    expect(JSON.stringify(ok.value)).toContain('Approved by bob@example.com');
    expect(JSON.stringify(ok.value)).toContain('still waiting for ops-a');
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('AWAITING_APPROVAL');
    expect(shown(cardA)).toContain(VERB.approvalApprove);
    expect(carolTexts().some((t) => t.includes('"Waiting for","value":"ops-a"'))).toBe(true);

    await click(ALICE, VERB.approvalApprove, CHANNEL_A, cardA);
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('ACTIVE');
    expect(shown(cardA)).toContain('Approved by alice@example.com');
    expect(shown(cardB)).not.toContain('still waiting');
    await h.post(personalMessage(h.connector.serviceUrl, CAROL, 'stop all'));
    await h.runJobs();
  });

  it("one role's denial denies and closes the other role's card", async () => {
    const { session, cardA, cardB } = await request();
    await click(ALICE, VERB.approvalDeny, CHANNEL_A, cardA);
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('DENIED');
    expect(shown(cardA)).toContain('Denied by alice@example.com');
    expect(shown(cardB)).toContain('Closed – role ops-a denied the request');
    expect(shown(cardB)).not.toContain(VERB.approvalApprove);
  });
});
