import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackIntegration, type SlackIntegration } from '../../../src/chat/slack/integration.ts';
import { chatWorkspaces, claims } from '../../../src/db/schema/index.ts';
import { createTestEngine, type TestEngine } from '../../helpers/engine.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../../helpers/seed.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack/fake-slack.ts';

let t: TestEngine;
let fake: FakeSlack;
let slack: SlackIntegration;

beforeAll(async () => {
  t = await createTestEngine();
  fake = await startFakeSlack();
  const org = await seedOrg(t.deps.db, { settings: { chat: { channelCards: true } } });
  await t.deps.db.insert(chatWorkspaces).values({ orgId: org.id, platform: 'slack', externalId: 'T111' });
  const alice = await seedUser(t.deps.db, org.id, { email: 'alice@example.com' });
  const r = await seedResource(t.deps.db, org.id);
  await seedRole(t.deps.db, org.id, { members: [alice.id], resources: [r.id] });
  fake.addUser('UALICE', 'alice@example.com');
  slack = createSlackIntegration(
    { engine: t.deps, logger: t.deps.logger, publicUrl: 'https://eg.example.test', claimTtlSeconds: 300 },
    { botToken: 'xoxb-test', appToken: 'xapp-test', slackApiUrl: fake.apiUrl },
  );
});
afterAll(async () => {
  await slack?.stop();
  await fake?.close();
  await t?.close();
});

describe('Socket Mode (SLACK_APP_TOKEN)', () => {
  it('mounts no HTTP endpoint, connects with the app token, and acks a command envelope before the work', async () => {
    expect(slack.routes).toBeUndefined();
    await slack.start();
    expect(fake.calls.find((c) => c.method === 'apps.connections.open')).toMatchObject({ token: 'xapp-test', status: 200 });
    expect(fake.socketMode.connected()).toBe(1);

    fake.socketMode.deliver({
      envelope_id: 'env-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        token: 'legacy', team_id: 'T111', team_domain: 'acme', channel_id: 'C222', channel_name: 'ops', user_id: 'UALICE', user_name: 'alice',
        command: '/entryguard', text: 'start 2h', api_app_id: 'A444', is_enterprise_install: 'false', trigger_id: '1.2.3', response_url: fake.responseUrl('sm'),
      },
    });
    const ack = await fake.socketMode.waitFor((m) => m.envelope_id === 'env-1');
    expect(ack).toEqual({ envelope_id: 'env-1', payload: {} });
    for (let i = 0; i < 100 && fake.responsesTo('sm').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.stringify(fake.responsesTo('sm')[0])).toContain('https://eg.example.test/c/');
    expect(await t.deps.db.select().from(claims)).toHaveLength(1);
  });
});
