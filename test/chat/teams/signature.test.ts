import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claims } from '../../../src/db/schema/index.ts';
import { APP_ID, personalMessage } from '../../fakes/teams/activities.ts';
import { seedOrg, seedUser } from '../../helpers/seed.ts';
import { bindTenant, createTeamsHarness, type TeamsHarness } from './harness.ts';

let h: TeamsHarness;
const alice = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice-0001' };

beforeAll(async () => {
  h = await createTeamsHarness();
  const org = await seedOrg(h.deps.db);
  await bindTenant(h, org.id);
  await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  h.connector.addMember(alice.id, { aadObjectId: alice.aadObjectId, email: 'alice@example.com' });
});
afterAll(async () => h?.close());

describe('Bot Framework JWT on /api/messages', () => {
  const refused = async (token: string | null) => {
    const activity = personalMessage(h.connector.serviceUrl, alice, 'start 2h');
    const res = await h.post(activity, token);
    expect(res.status).toBe(401);
    expect(h.connector.calls).toHaveLength(0);
    expect(await h.deps.db.select().from(claims)).toHaveLength(0);
  };

  it('refuses an activity without a token', () => refused(null));
  it('refuses a token signed by a key the channel did not publish', () => refused(h.issuer.forgedTokenFor(APP_ID, h.connector.serviceUrl)));
  it('refuses a token for another bot', () => refused(h.issuer.tokenFor('11111111-1111-1111-1111-111111111111', h.connector.serviceUrl)));
  it('refuses a token bound to another serviceUrl', () => refused(h.issuer.tokenFor(APP_ID, 'https://smba.example.test/')));
  it('refuses garbage', () => refused('not.a.jwt'));

  it('answers 413 naming the Teams cap (96 KiB) to an activity larger than Teams sends, and changes nothing', async () => {
    const activity = { ...personalMessage(h.connector.serviceUrl, alice, 'start 2h'), pad: 'x'.repeat(96 * 1024) };
    const res = await h.post(activity);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the 96 KiB allowed.' });
    expect(h.connector.calls).toHaveLength(0);
    expect(await h.deps.db.select().from(claims)).toHaveLength(0);
  });

  it('accepts a correctly signed activity, and calls the connector with the bot token', async () => {
    const res = await h.post(personalMessage(h.connector.serviceUrl, alice, 'help'));
    expect(res.status).toBe(200);
    const reply = h.connector.calls.find((c) => c.method === 'POST' && c.path.includes('/activities'));
    expect(reply?.auth).toBe('Bearer test-outbound-token');
    expect(String(reply?.body?.text)).toContain('opens your IP');
  });

  it('answers 400 to a body that is not an activity', async () => {
    const res = await h.post({ hello: 'world', serviceUrl: h.connector.serviceUrl });
    expect(res.status).toBe(400);
  });
});
