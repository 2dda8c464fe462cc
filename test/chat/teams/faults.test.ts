import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../../src/db/schema/index.ts';
import { VERB } from '../../../src/chat/teams/ids.ts';
import { executeClick, personalConversation, personalMessage, type TeamsUser } from '../../fakes/teams/activities.ts';
import { cardIn } from '../../fakes/teams/fake-connector.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindTenant, claimUrlOf, createTeamsHarness, type TeamsHarness, textOf, isSessionCard } from './harness.ts';

let h: TeamsHarness;
let aliceId: string;
const ALICE: TeamsUser = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };

beforeAll(async () => {
  h = await createTeamsHarness();
  const org = await seedOrg(h.deps.db);
  await bindTenant(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(h.deps.db, org.id, { name: 'prod-db' });
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  h.connector.addMember(ALICE.id, { aadObjectId: ALICE.aadObjectId, email: 'alice@example.com' });
  aliceId = alice.id;
});
afterAll(async () => h?.close());

const say = async (text: string) => {
  const before = h.connector.messages.size;
  expect((await h.post(personalMessage(h.connector.serviceUrl, ALICE, text))).status).toBe(200);
  return [...h.connector.messages.values()].slice(before).map((m) => h.connector.latest(m));
};
const sessionCard = () => h.connector.in(personalConversation(ALICE)).filter((m) => isSessionCard(m.versions[0])).at(-1)!;
const texts = () => h.connector.in(personalConversation(ALICE)).map((m) => textOf(h.connector.latest(m)));
const notifyJobs = () => h.jobsOf('notify_session');

describe('the connector failing while cards are updated', () => {
  it('a refused PUT fails the notify job (not swallowed), and the retry delivers the update once', async () => {
    await h.confirmClaim(claimUrlOf((await say('start 2h'))[0]));
    await h.runJobs();
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    const card = sessionCard();
    const before = JSON.stringify(cardIn(h.connector.latest(card)));
    expect(before).toContain('Active');
    const versionsBefore = card.versions.length;

    // 403 is not retried inside the connector client: one PUT, then the job fails.
    h.connector.failNext('PUT', 403);
    expect(textOf((await say('extend 1h'))[0])).toContain('now ends');
    await h.runJobs();
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toBe(before);
    expect(await notifyJobs()).toEqual([{ attempts: 1, lastError: expect.any(String) }]);

    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId));
    const after = JSON.stringify(cardIn(h.connector.latest(card)));
    expect(after).not.toBe(before);
    expect(after).toContain(`{{DATE(${s!.expiresAt!.toISOString().replace(/\.\d{3}Z$/, 'Z')}, SHORT)}}`);
    expect(card.versions).toHaveLength(versionsBefore + 1); // the retry's update, once
    expect(texts().filter((t) => t.includes('Access is open'))).toHaveLength(1);
  });

  it('a reply that fails is posted by the retry, and replies already posted are not repeated', async () => {
    // A 5xx is retried 3 times by the connector client itself (exponential backoff, ~7 s);
    // four failures exhaust that, so the job fails and graphile-worker retries it.
    h.connector.failNext('POST', 500, 4);
    const card = sessionCard();
    const [live] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId));
    // Stop from the card: answered in the HTTP response, so the only POSTs are the notifier's.
    const click = await h.post(executeClick(h.connector.serviceUrl, ALICE, personalConversation(ALICE), card.id, VERB.sessionStop, { sessionId: live!.id }));
    expect(click.status).toBe(200);
    await h.runJobs();
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId));
    expect(s!.state).toBe('CANCELLED');
    expect(h.connector.calls.filter((c) => c.method === 'POST' && c.path.includes('/activities')).length).toBeGreaterThanOrEqual(4);
    expect((await notifyJobs())[0]).toMatchObject({ attempts: 1 });
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    expect(texts().filter((t) => t.includes('ended: it was stopped'))).toHaveLength(1);
    expect(texts().filter((t) => t.includes('Access is open'))).toHaveLength(1);
    expect(JSON.stringify(cardIn(h.connector.latest(sessionCard())))).toContain('Stopped');
  });

  it('no token for the connector (Entra unreachable) fails the job instead of vanishing in onTurnError, and the retry delivers', async () => {
    await h.confirmClaim(claimUrlOf((await say('start 1h'))[0]), '203.0.113.40');
    await h.runJobs();
    await h.runJobs();
    const card = sessionCard();
    const before = JSON.stringify(cardIn(h.connector.latest(card)));
    const calls = h.connector.calls.length;
    h.tokenFailure = new Error('network_error: login.microsoftonline.com unreachable');
    // The Extend button is answered in the HTTP response: no outbound call needed until the notifier runs.
    const data = (cardIn(h.connector.latest(card))?.actions as { verb: string; data: Record<string, unknown> }[]).find((a) => a.verb === VERB.sessionExtend)!.data;
    expect((await h.post(executeClick(h.connector.serviceUrl, ALICE, personalConversation(ALICE), card.id, VERB.sessionExtend, data))).status).toBe(200);
    await h.runJobs();
    expect(await notifyJobs()).toEqual([{ attempts: 1, lastError: expect.stringContaining('chat notification failed') }]);
    expect(h.connector.calls.length).toBe(calls);
    h.tokenFailure = undefined;
    await h.runJobs();
    expect(await notifyJobs()).toEqual([]);
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).not.toBe(before);
  });

  it('a 429 with Retry-After: the connector client waits exactly that long and retries itself; the update arrives, the job succeeds', async () => {
    const card = sessionCard();
    const puts = () => h.connector.calls.filter((c) => c.method === 'PUT').length;
    const before = puts();
    h.connector.failNext('PUT', 429, 1, 2);
    const t0 = Date.now();
    expect(textOf((await say('extend 1h'))[0])).toContain('now ends');
    await h.runJobs();
    expect(puts() - before).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(await notifyJobs()).toEqual([]);
    const [s] = await h.deps.db.select().from(sessions).where(eq(sessions.userId, aliceId)).orderBy(desc(sessions.createdAt)).limit(1);
    expect(JSON.stringify(cardIn(h.connector.latest(card)))).toContain(s!.expiresAt!.toISOString().slice(11, 16));
  });
});
