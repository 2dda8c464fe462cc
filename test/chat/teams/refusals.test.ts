import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { auditEvents } from '../../../src/db/schema/index.ts';
import { APP_ID, CHANNEL, TENANT, executeClick, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { authRejections } from '../../http/helpers.ts';
import { seedOrg, seedUser } from '../../helpers/seed.ts';
import { bindTenant, createTeamsHarness, type TeamsHarness } from './harness.ts';

/*
 * Issue 10 point 12: people EntryGuard does not know who message the bot or click a card are
 * refused and audited in their tenant's organization; activities without a valid Bot Framework
 * token name nobody and are counted in metrics instead.
 */
let h: TeamsHarness;
let orgId: string;
const user = (name: string): TeamsUser => ({ id: `29:${name}`, name, aadObjectId: `aad-${name}` });
const STRANGER = user('stranger');
const GHOST = user('ghost');

beforeAll(async () => {
  h = await createTeamsHarness();
  const org = await seedOrg(h.deps.db);
  orgId = org.id;
  await bindTenant(h, org.id);
  await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  h.connector.addMember(STRANGER.id, { aadObjectId: STRANGER.aadObjectId, email: 'stranger@elsewhere.com' });
});
afterAll(async () => h?.close());

const refusals = (u: TeamsUser) =>
  h.deps.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'CHAT_REQUEST'), eq(auditEvents.result, 'DENIED'), eq(auditEvents.targetId, `teams:${TENANT}/${u.aadObjectId}`)));

describe('Teams refusals', () => {
  it('audits a message from someone EntryGuard does not know, with the email Teams gave and the command', async () => {
    expect((await h.post(personalMessage(h.connector.serviceUrl, STRANGER, 'start 2h'))).status).toBe(200);
    expect(await refusals(STRANGER)).toEqual([
      expect.objectContaining({
        orgId,
        actorType: 'chat',
        actorLabel: 'teams:stranger@elsewhere.com',
        details: { code: 'USER_NOT_FOUND', reason: expect.stringContaining('does not know you'), attempt: 'command start', workspaceId: TENANT, chatUserId: STRANGER.aadObjectId, email: 'stranger@elsewhere.com' },
      }),
    ]);
  });

  it('audits a card button clicked by someone EntryGuard does not know', async () => {
    const click = executeClick(h.connector.serviceUrl, GHOST, CHANNEL, '1700000000009', VERB.approvalApprove, { sessionId: '00000000-0000-4000-8000-000000000001' });
    expect((await h.post(click)).status).toBe(200);
    expect(await refusals(GHOST)).toEqual([expect.objectContaining({ orgId, details: expect.objectContaining({ code: 'USER_NOT_FOUND', attempt: `button ${VERB.approvalApprove}` }) })]);
  });

  it('counts an activity with a bad token in metrics and audits nothing', async () => {
    const count = () => authRejections(h.app, 'teams_token');
    const before = await count();
    const audited = (await h.deps.db.select().from(auditEvents)).length;
    expect((await h.post(personalMessage(h.connector.serviceUrl, STRANGER, 'start'), h.issuer.forgedTokenFor(APP_ID, h.connector.serviceUrl))).status).toBe(401);
    expect((await h.post(personalMessage(h.connector.serviceUrl, STRANGER, 'start'), null)).status).toBe(401);
    expect(await count()).toBe(before + 2);
    expect(await h.deps.db.select().from(auditEvents)).toHaveLength(audited);
  });
});
