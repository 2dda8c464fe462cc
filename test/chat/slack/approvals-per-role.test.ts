import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../../src/chat/slack/ids.ts';
import { roles, sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, claimUrlOf, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;
let carolId: string;

/** Issue 10, point 2: Carol is in ops-a (approver Alice, channel CA) and ops-b (approver Bob, channel CB). */
beforeAll(async () => {
  h = await createSlackHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { chat: { channelCards: true } } });
  await bindWorkspace(h, org.id);
  const [carol, alice, bob] = [
    await seedUser(db, org.id, { email: 'carol@example.com' }),
    await seedUser(db, org.id, { email: 'alice@example.com' }),
    await seedUser(db, org.id, { email: 'bob@example.com' }),
  ];
  const a = await seedResource(db, org.id, { name: 'db-a' });
  const b = await seedResource(db, org.id, { name: 'db-b' });
  const roleA = await seedRole(db, org.id, { name: 'ops-a', members: [carol!.id], resources: [a.id], approvers: [alice!.id] });
  const roleB = await seedRole(db, org.id, { name: 'ops-b', members: [carol!.id], resources: [b.id], approvers: [bob!.id] });
  await db.update(roles).set({ approvalChannels: { slack: 'CA' } }).where(eq(roles.id, roleA.id));
  await db.update(roles).set({ approvalChannels: { slack: 'CB' } }).where(eq(roles.id, roleB.id));
  for (const [id, email] of [['UCAROL', 'carol@example.com'], ['UALICE', 'alice@example.com'], ['UBOB', 'bob@example.com']]) h.fake.addUser(id!, email);
  for (const c of ['C222', 'CA', 'CB']) h.fake.joinChannel(c);
  carolId = carol!.id;
});
afterAll(async () => h?.close());

async function request() {
  h.clock.advance(MINUTE_MS);
  const r = await h.command('start 2h', 'UCAROL');
  expect(await h.confirmClaim(claimUrlOf(r.replies[0]))).toBe(200);
  await h.runJobs();
  const [mine] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, carolId)).orderBy(desc(sessions.createdAt)).limit(1);
  return { session: mine!, cardA: h.fake.roots('CA').at(-1)!, cardB: h.fake.roots('CB').at(-1)! };
}

const valueOf = (card: { blocks?: unknown }, actionId: string): string => {
  const buttons = (card.blocks as { elements?: { action_id?: string; value?: string }[] }[]).flatMap((b) => b.elements ?? []);
  return buttons.find((e) => e.action_id === actionId)!.value!;
};
const current = (ts: string) => JSON.stringify(h.fake.messages.find((m) => m.ts === ts)!.blocks);
const carolCard = () => h.fake.roots('C222').at(-1)!;
const stateOf = async (id: string) => (await h.deps.db.select().from(sessions).where(eq(sessions.id, id)))[0]!.state;

describe('approvals per role in Slack', () => {
  it("one card per role, in each role's channel, naming the role; Bob's approval opens nothing until Alice approves", async () => {
    const { session, cardA, cardB } = await request();
    expect(current(cardA.ts)).toContain('Approval for role *ops-a*');
    expect(current(cardB.ts)).toContain('Approval for role *ops-b*');
    expect(carolCard().blocks && JSON.stringify(carolCard().blocks)).toContain('ops-a, ops-b');

    // Bob clicks Approve on ops-a's card: he is not its approver.
    const wrong = await h.click({ actionId: ACTION.approvalApprove, value: valueOf(cardA, ACTION.approvalApprove), user: 'UBOB', channel: 'CA', messageTs: cardA.ts });
    expect(String(wrong.replies[0]!.text)).toContain('not an approver');
    const ok = await h.click({ actionId: ACTION.approvalApprove, value: valueOf(cardB, ACTION.approvalApprove), user: 'UBOB', channel: 'CB', messageTs: cardB.ts });
    expect(String(ok.replies[0]!.text)).toContain('Still waiting for: ops-a');
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('AWAITING_APPROVAL');
    expect(current(cardB.ts)).toContain('Approved by <@UBOB>');
    expect(current(cardB.ts)).not.toContain(ACTION.approvalApprove);
    expect(current(cardA.ts)).toContain(ACTION.approvalApprove);
    expect(JSON.stringify(carolCard().blocks)).toContain('Waiting for approval by*\\nops-a');

    await h.click({ actionId: ACTION.approvalApprove, value: valueOf(cardA, ACTION.approvalApprove), user: 'UALICE', channel: 'CA', messageTs: cardA.ts });
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('ACTIVE');
    expect(current(cardA.ts)).toContain('Approved by <@UALICE>');
    expect(h.fake.roots('CA').filter((m) => m.ts === cardA.ts)).toHaveLength(1);
    expect(h.fake.roots('CB').at(-1)!.ts).toBe(cardB.ts); // no second card for ops-b
    const thread = h.fake.thread('C222', carolCard().ts).map((m) => String(m.text));
    expect(thread[0]).toContain('Approved by <@UALICE> (ops-a), <@UBOB> (ops-b)');
    await h.command('stop all', 'UCAROL');
    await h.runJobs();
  });

  it("one role's denial denies and closes the other role's card", async () => {
    const { session, cardA, cardB } = await request();
    await h.click({ actionId: ACTION.approvalDeny, value: valueOf(cardB, ACTION.approvalDeny), user: 'UBOB', channel: 'CB', messageTs: cardB.ts });
    await h.runJobs();
    expect(await stateOf(session.id)).toBe('DENIED');
    expect(current(cardB.ts)).toContain('Denied by <@UBOB>');
    expect(current(cardA.ts)).toContain('Closed – role ops-b denied the request');
    expect(current(cardA.ts)).not.toContain(ACTION.approvalApprove);
  });
});
