import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claims, auditEvents } from '../../../src/db/schema/index.ts';
import { blockActionsBody, slashCommandBody } from '../../fakes/slack/signing.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { bindWorkspace, createSlackHarness, type SlackHarness } from './harness.ts';

let h: SlackHarness;

beforeAll(async () => {
  h = await createSlackHarness();
  const org = await seedOrg(h.deps.db);
  await bindWorkspace(h, org.id);
  const alice = await seedUser(h.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(h.deps.db, org.id);
  await seedRole(h.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  h.fake.addUser('UALICE', 'alice@example.com');
});
afterAll(async () => h?.close());

const nothingHappened = async () => {
  await h.slack.settled();
  expect(await h.deps.db.select().from(claims)).toEqual([]);
  expect(await h.deps.db.select().from(auditEvents)).toEqual([]);
  expect(h.fake.calls).toEqual([]);
};

describe('POST /slack/events signature checks', () => {
  const body = () => slashCommandBody({ text: 'start 2h', user: 'UALICE', responseUrl: h.fake.responseUrl('x') });

  it('answers 401 to a wrong signing secret, and changes nothing', async () => {
    const res = await h.post(body(), { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    await nothingHappened();
  });

  it('answers 401 to a timestamp older than five minutes (a replay), and changes nothing', async () => {
    const res = await h.post(body(), { ts: Math.floor(Date.now() / 1000) - 301 });
    expect(res.status).toBe(401);
    await nothingHappened();
  });

  it('answers 401 to a validly signed request dated more than five minutes ahead (a pre-signed replay), and changes nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await h.post(body(), { ts: now + 3600 })).status).toBe(401);
    expect((await h.post(body(), { ts: now + 301 })).status).toBe(401);
    await nothingHappened();
  });

  it('answers 401 without signature headers, and to a body changed after signing', async () => {
    const b = body();
    expect((await fetch(h.url, { method: 'POST', body: b, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(401);
    const { slackHeaders } = await import('../../fakes/slack/signing.ts');
    const headers = slackHeaders('test-signing-secret', b);
    expect((await fetch(h.url, { method: 'POST', body: b.replace('start+2h', 'start+24h'), headers })).status).toBe(401);
    const click = blockActionsBody({ actionId: 'session.stop', value: 'x', user: 'UALICE', channel: 'C1', messageTs: '1.1', responseUrl: h.fake.responseUrl('y') });
    expect((await h.post(click, { secret: 'nope' })).status).toBe(401);
    await nothingHappened();
  });

  it('answers 400 to a signed but unreadable body, and the url_verification challenge', async () => {
    expect((await h.post('payload=%7Bnot-json')).status).toBe(400);
    const { slackHeaders } = await import('../../fakes/slack/signing.ts');
    const json = JSON.stringify({ type: 'url_verification', challenge: 'abc' });
    const res = await fetch(h.url, { method: 'POST', body: json, headers: { ...slackHeaders('test-signing-secret', json), 'content-type': 'application/json' } });
    expect(await res.json()).toEqual({ challenge: 'abc' });
    await nothingHappened();
  });

  it('answers 413 naming the Slack cap (64 KiB) to a body larger than any Slack sends, before reading it as a command', async () => {
    for (const size of [64 * 1024 + 1, 2 * 1024 * 1024]) {
      const res = await h.post(`${body()}&pad=${'x'.repeat(size)}`);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the 64 KiB allowed.' });
    }
    await nothingHappened();
  });

  it('answers Slack’s certificate check (ssl_check=1) with 200 and does nothing', async () => {
    const res = await fetch(h.url, { method: 'POST', body: 'ssl_check=1&token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    await nothingHappened();
  });

  it('acknowledges a valid command with an empty 200 before the work', async () => {
    const res = await h.post(body());
    expect(res.status).toBe(200);
    await h.slack.settled();
    expect(await h.deps.db.select().from(claims)).toHaveLength(1);
  });
});
