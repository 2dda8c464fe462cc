import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../../src/db/schema/index.ts';
import { MINUTE_MS } from '../../../src/shared/clock.ts';
import { personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf, isSessionCard } from './harness.ts';

let h: TeamsHarness;
let aliceId: string;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };

beforeAll(async () => {
  h = await createTeamsHarness();
  const org = await seedOrg(h.deps.db, { plan: 'team' });
  await bindTenant(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const r1 = await seedResource(h.deps.db, org.id, { name: 'prod-db' });
  const r2 = await seedResource(h.deps.db, org.id, { name: 'bastion' });
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [r1.id, r2.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'alice@example.com' });
  aliceId = alice.id;
});
afterAll(async () => h?.close());

async function startSession(ip: string) {
  h.clock.advance(MINUTE_MS);
  const before = h.connector.messages.size;
  expect((await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'start 1h'))).status).toBe(200);
  const reply = [...h.connector.messages.values()].slice(before)[0]!;
  expect(await h.confirmClaim(claimUrlOf(h.connector.latest(reply)), ip)).toBe(200);
  await h.runJobs();
  await h.runJobs();
  const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
  const card = h.connector.in(personalConversation(ALICE)).filter((m) => isSessionCard(m.versions[0])).at(-1)!;
  return { session: s!, card: JSON.stringify(cardIn(h.connector.latest(card))), since: before };
}
const newTexts = (since: number) => [...h.connector.messages.values()].slice(since).map((m) => textOf(h.connector.latest(m)));

describe('PARTIAL and FAILED', () => {
  it('a resource that refuses: PARTIAL, the card shows that resource’s error, one reply names it', async () => {
    h.firewall.fail('add', { code: 'ACCESS_DENIED', message: 'not allowed to change sg', retryable: false }, { times: 1 });
    const { session, card, since } = await startSession('203.0.113.20');
    expect(session.state).toBe('PARTIAL');
    expect(card).toContain('Partly open');
    expect(card).toContain('not allowed to change sg');
    const replies = newTexts(since).filter((t) => t.includes('only partly open'));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('not allowed to change sg');
    await h.runJobs();
    expect(newTexts(since).filter((t) => t.includes('only partly open'))).toHaveLength(1);
    h.firewall.clearFaults();
    await h.post(personalMessage(h.connector.serviceUrl, ALICE, 'stop all'));
    await h.runJobs();
  });

  it('every resource refusing: FAILED, with the reasons', async () => {
    h.firewall.fail('add', { code: 'ACCESS_DENIED', message: 'denied everywhere', retryable: false });
    const { session, card, since } = await startSession('203.0.113.21');
    h.firewall.clearFaults();
    expect(session.state).toBe('FAILED');
    expect(card).toContain('Failed');
    const replies = newTexts(since).filter((t) => t.includes('could not be opened'));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('denied everywhere');
  });
});
