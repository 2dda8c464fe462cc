import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../../src/chat/slack/ids.ts';
import { auditEvents, users } from '../../../src/db/schema/index.ts';
import { slashCommandBody } from '../../fakes/slack/signing.ts';
import { authRejections } from '../../http/helpers.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, createSlackHarness, type SlackHarness } from './harness.ts';

/*
 * Issue 10 point 12: people EntryGuard does not know (or has disabled) who send commands or
 * click buttons are refused and audited, in the trail of the organization their workspace
 * belongs to; requests with a bad signature name nobody and are counted in metrics instead.
 */
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  h = await createSlackHarness();
  const org = await seedOrg(h.deps.db, { settings: { chat: { channelCards: true } } });
  orgId = org.id;
  await bindWorkspace(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const carol = await seedUser(h.deps.db, org.id, { email: 'carol@example.com' });
  const r = await seedResource(h.deps.db, org.id);
  await seedRole(h.deps.db, org.id, { members: [alice.id, carol.id], resources: [r.id] });
  await h.deps.db.update(users).set({ isActive: false }).where(eq(users.id, carol.id));
  h.fake.addUser('UALICE', 'alice@example.com');
  h.fake.addUser('UCAROL', 'carol@example.com');
  h.fake.addUser('USTRANGER', 'stranger@elsewhere.com');
});
afterAll(async () => h?.close());

const refusals = (chatUserId: string) =>
  h.deps.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'CHAT_REQUEST'), eq(auditEvents.result, 'DENIED'), eq(auditEvents.targetId, `slack:T111/${chatUserId}`)));

describe('Slack refusals', () => {
  it('audits a command from someone EntryGuard does not know, with the email Slack gave and what they tried', async () => {
    await h.command('start 2h please', 'USTRANGER');
    expect(await refusals('USTRANGER')).toEqual([
      expect.objectContaining({
        orgId,
        actorType: 'chat',
        actorLabel: 'slack:stranger@elsewhere.com',
        targetType: 'chat_user',
        details: { code: 'USER_NOT_FOUND', reason: expect.stringContaining('does not know you'), attempt: 'command start', workspaceId: 'T111', chatUserId: 'USTRANGER', email: 'stranger@elsewhere.com' },
      }),
    ]);
  });

  it('audits a button clicked by an unknown person and by a disabled user', async () => {
    await h.click({ actionId: ACTION.approvalApprove, value: '00000000-0000-4000-8000-000000000001', user: 'UGHOST', channel: 'C222', messageTs: '1.1' });
    await h.click({ actionId: ACTION.sessionStop, value: '00000000-0000-4000-8000-000000000002', user: 'UCAROL', channel: 'C222', messageTs: '1.2' });
    expect(await refusals('UGHOST')).toEqual([expect.objectContaining({ orgId, details: expect.objectContaining({ code: 'USER_NOT_FOUND', attempt: 'button approval.approve', email: null }) })]);
    expect(await refusals('UCAROL')).toEqual([
      expect.objectContaining({ orgId, actorLabel: 'slack:carol@example.com', details: expect.objectContaining({ code: 'USER_DISABLED', attempt: 'button session.stop' }) }),
    ]);
  });

  it('audits a workspace that is not bound to an organization, in the trail of no organization', async () => {
    await h.post(slashCommandBody({ text: 'status', user: 'UALICE', team: 'T999', responseUrl: h.fake.responseUrl('t999') }));
    await h.slack.settled();
    const [row] = await h.deps.db.select().from(auditEvents).where(eq(auditEvents.targetId, 'slack:T999/UALICE'));
    expect(row).toMatchObject({ orgId: null, result: 'DENIED', details: { code: 'ORG_NOT_FOUND', attempt: 'command status', workspaceId: 'T999' } });
  });

  it('counts a bad signature in metrics and audits nothing', async () => {
    const count = () => authRejections(h.app, 'slack_signature');
    const before = await count();
    const audited = (await h.deps.db.select().from(auditEvents)).length;
    const res = await h.post(slashCommandBody({ text: 'start', user: 'UALICE', responseUrl: h.fake.responseUrl('forged') }), { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(await count()).toBe(before + 1);
    expect(await h.deps.db.select().from(auditEvents)).toHaveLength(audited);
  });
});
