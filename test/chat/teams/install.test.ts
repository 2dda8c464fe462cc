import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, roles, sessions } from '../../../src/db/schema/index.ts';
import { adoptApprovalChannel } from '../../../src/engine/adopt-approval-channel.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { BOT, CHANNEL, TEAM, TENANT, channelMessage, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { actorOf, seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf } from './harness.ts';

/*
 * "Approvals in Teams channels … or automatically when the app is added to a team": an admin who
 * adds the app to a team makes the channel they picked the approval channel of the roles that
 * have none yet. Nobody else changes anything by installing it, and a chosen channel never moves.
 */
let h: TeamsHarness;
let fx: { orgId: string; aliceId: string; root: Awaited<ReturnType<typeof seedUser>>; bob: Awaited<ReturnType<typeof seedUser>> };
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice' };
const BOB: TeamsUser = { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob' };
const ROOT: TeamsUser = { id: '29:root', name: 'Root', aadObjectId: 'aad-root' };
const STRANGER: TeamsUser = { id: '29:stranger', name: 'Stranger', aadObjectId: 'aad-stranger' };
const ELSEWHERE = '19:security@thread.tacv2';

beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team' });
  await bindTenant(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  const carol = await seedUser(db, org.id, { email: 'carol@example.com' });
  const bob = await seedUser(db, org.id, { email: 'bob@example.com' });
  const root = await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { name: 'prod', members: [alice.id], resources: [r.id], approvers: [carol.id] });
  await seedRole(db, org.id, { name: 'payments', resources: [r.id], approvers: [carol.id] });
  const audit = await seedRole(db, org.id, { name: 'audit', resources: [r.id], approvers: [carol.id] });
  await db.update(roles).set({ approvalChannels: { teams: ELSEWHERE, slack: 'C0SEC' } }).where(eq(roles.id, audit.id));
  await seedRole(db, org.id, { name: 'dev', members: [alice.id], resources: [r.id] });
  for (const [u, email] of [[ALICE, 'alice@example.com'], [BOB, 'bob@example.com'], [ROOT, 'root@example.com']] as const) h.connector.addMember(u.id, { aadObjectId: u.aadObjectId, email });
  fx = { orgId: org.id, aliceId: alice.id, root, bob };
});
afterAll(async () => h?.close());

/** The conversationUpdate Teams sends to the team's General channel when `by` adds the app (optionally picking a channel). */
function installed(by: TeamsUser, opts: { selectedChannel?: string; team?: string } = {}) {
  const team = opts.team ?? TEAM;
  const base = channelMessage(h.connector.serviceUrl, by, '', '', team);
  return {
    ...base,
    type: 'conversationUpdate',
    text: undefined,
    entities: undefined,
    conversation: { ...base.conversation, id: team },
    membersAdded: [BOT],
    channelData: {
      tenant: { id: TENANT },
      eventType: 'teamMemberAdded',
      team: { id: team, name: 'Platform', aadGroupId: '11111111-2222-3333-4444-555555555555' },
      ...(opts.selectedChannel ? { settings: { selectedChannel: { id: opts.selectedChannel } } } : {}),
    },
  };
}

/** Posts the activity; returns the texts the bot posted in answer. */
async function post(activity: Record<string, unknown>): Promise<string[]> {
  const before = h.connector.messages.size;
  expect((await h.post(activity)).status).toBe(200);
  return [...h.connector.messages.values()].slice(before).map((m) => textOf(h.connector.latest(m)));
}

const teamsChannels = async () =>
  Object.fromEntries((await h.deps.db.select().from(roles).where(eq(roles.orgId, fx.orgId))).map((r) => [r.name, r.approvalChannels.teams ?? null]));
const channelAudits = () => h.deps.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, fx.orgId), eq(auditEvents.action, 'APPROVAL_CHANNEL_SET')));
const UNCHANGED = { prod: null, payments: null, audit: ELSEWHERE, dev: null };

describe('the app added to a team', () => {
  it('by someone who is not an EntryGuard admin: a welcome, and no approval channel changes', async () => {
    const [text] = await post(installed(BOB, { selectedChannel: CHANNEL }));
    expect(text).toContain('approvals here ROLE');
    expect(text).not.toContain('will be posted');
    expect(await teamsChannels()).toEqual(UNCHANGED);
    expect(await channelAudits()).toEqual([]);
  });

  it('by someone EntryGuard does not know: a welcome, nothing changed', async () => {
    const [text] = await post(installed(STRANGER));
    expect(text).toContain('Hi, I am **EntryGuard**');
    expect(await teamsChannels()).toEqual(UNCHANGED);
  });

  it('by an admin: the channel they picked approves every role without a channel; one already chosen stays', async () => {
    const [text] = await post(installed(ROOT, { selectedChannel: CHANNEL }));
    expect(text).toContain('Approval requests for **payments**, **prod** will be posted in the channel chosen when the app was added.');
    expect(text).toContain('**audit** keeps the channel already chosen.');
    expect(await teamsChannels()).toEqual({ prod: CHANNEL, payments: CHANNEL, audit: ELSEWHERE, dev: null });
    const audits = await channelAudits();
    expect(audits).toHaveLength(2);
    expect(audits.every((a) => a.actorId === fx.root.id && a.result === 'SUCCESS' && (a.details as { automatic?: boolean }).automatic === true)).toBe(true);

    // The next request for prod is asked there, with Approve and Deny.
    h.clock.advance(MINUTE_MS);
    const before = h.connector.messages.size;
    await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'start 2h'));
    const reply = [...h.connector.messages.values()].slice(before)[0]!;
    expect(await h.confirmClaim(claimUrlOf(h.connector.latest(reply)))).toBe(200);
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, fx.aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
    expect(s!.state).toBe('AWAITING_APPROVAL');
    const card = h.connector.in(CHANNEL).at(-1)!;
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain('alice@example.com');
  });

  it('added to another team later (or the same event again): the chosen channels do not move', async () => {
    const other = '19:other-team@thread.tacv2';
    const [text] = await post(installed(ROOT, { team: other }));
    expect(text).toContain('**audit**, **payments**, **prod** keep the channel already chosen.');
    expect(await post(installed(ROOT, { selectedChannel: CHANNEL }))).toHaveLength(1);
    expect(await teamsChannels()).toEqual({ prod: CHANNEL, payments: CHANNEL, audit: ELSEWHERE, dev: null });
    expect(await channelAudits()).toHaveLength(2);
  });

  it('with no channel picked, a new team\'s General channel (the team id) is used, and said to be this one', async () => {
    const role = await seedRole(h.deps.db, fx.orgId, { name: 'late', approvers: [fx.root.id] });
    const team = '19:general-of-late@thread.tacv2';
    const [text] = await post(installed(ROOT, { team }));
    expect(text).toContain('Approval requests for **late** will be posted in this channel.');
    expect((await h.deps.db.select().from(roles).where(eq(roles.id, role.id)))[0]!.approvalChannels).toEqual({ teams: team });
  });

  it('the engine refuses a non-admin (and audits the refusal) even if a caller skipped the check', async () => {
    await expect(adoptApprovalChannel(h.deps, { actor: actorOf(fx.bob), platform: 'teams', channel: CHANNEL })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const denied = (await channelAudits()).filter((a) => a.result === 'DENIED');
    expect(denied).toEqual([expect.objectContaining({ actorId: fx.bob.id })]);
  });
});
