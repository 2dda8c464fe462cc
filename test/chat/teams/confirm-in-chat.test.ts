import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness } from './harness.ts';

let h: TeamsHarness;
let aliceId: string;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0301' };
const ROOT: TeamsUser = { id: '29:root', name: 'Root', aadObjectId: 'aad-root-0302' };

/** Issue 10, point 7, in Teams: "Open for <address>" on the requester's card; only they can press it. */
beforeAll(async () => {
  h = await createTeamsHarness();
  const db = h.deps.db;
  const org = await seedOrg(db, { plan: 'team', settings: { claim: { confirmInChat: true } } });
  await bindTenant(h, org.id);
  const alice = await seedUser(db, org.id, { email: 'alice@example.com' });
  await seedUser(db, org.id, { email: 'root@example.com', admin: true });
  const r = await seedResource(db, org.id, { name: 'prod-db' });
  await seedRole(db, org.id, { members: [alice.id], resources: [r.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'alice@example.com' });
  h.connector.addMember(ROOT.id, { aadObjectId: ROOT.aadObjectId, email: 'root@example.com' });
  aliceId = alice.id;
});
afterAll(async () => h?.close());

describe('claim: confirmInChat in Teams', () => {
  it('the card offers "Open for <address>"; an admin cannot press it; the requester can', async () => {
    h.clock.advance(MINUTE_MS);
    await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'start 2h'));
    const link = h.connector.in(personalConversation(ALICE)).at(-1)!;
    expect(await h.confirmClaim(claimUrlOf(h.connector.latest(link)), '203.0.113.70')).toBe(200);
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
    expect(s!.state).toBe('AWAITING_CONFIRMATION');
    const card = h.connector.in(personalConversation(ALICE)).find((m) => JSON.stringify(cardIn(h.connector.latest(m)) ?? '').includes(VERB.sessionConfirm))!;
    const action = (cardIn(h.connector.latest(card)) as { actions: { verb?: string; title: string; data: Record<string, unknown> }[] }).actions.find((a) => a.verb === VERB.sessionConfirm)!;
    expect(action.title).toBe('Open for 203.0.113.70');

    const click = async (who: TeamsUser) => (await (await h.post(executeClick(h.connector.serviceUrl, who, personalConversation(ALICE), card.id, VERB.sessionConfirm, action.data))).json()) as { value: unknown };
    expect(String((await click(ROOT)).value)).toMatch(/Only the person who asked/);
    await click(ALICE);
    await h.runJobs();
    const [after] = await h.deps.db.select().from(sessions).where(eq(sessions.id, s!.id));
    expect(after!.state).toBe('ACTIVE');
  });
});
