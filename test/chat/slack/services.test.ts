import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { startServices, type Services } from '../../../src/main/services.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { slackHeaders, slashCommandBody } from '../../fakes/slack/signing.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack/fake-slack.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.ts';

/** The composition root mounts Slack when its variables are set (no Slack API call at start). */
let database: TestDatabase;
let services: Services;
let fake: FakeSlack;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeSlack();
  const env = {
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'https://eg.example.test',
    DEMO: 'false',
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: 'xoxb-from-env',
    SLACK_SIGNING_SECRET: 'env-signing-secret',
  };
  services = await startServices(loadConfig(env), env, createLogger({ level: 'silent' }), { web: true, worker: false });
});
afterAll(async () => {
  await services?.stop();
  await fake?.close();
  await database?.drop();
});

describe('startServices with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET', () => {
  it('serves /slack/events: unsigned → 401, signed → acknowledged and answered', async () => {
    const url = `${services.address}/slack/events`;
    const body = slashCommandBody({ text: 'help', user: 'U1', responseUrl: fake.responseUrl('boot') });
    expect((await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(401);
    const res = await fetch(url, { method: 'POST', body, headers: slackHeaders('env-signing-secret', body) });
    expect(res.status).toBe(200);
    // The workspace is bound to no org here, so the answer (through response_url) says so.
    for (let i = 0; i < 100 && fake.responsesTo('boot').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(String(fake.responsesTo('boot')[0]?.text)).toContain('not connected');
  });
});
