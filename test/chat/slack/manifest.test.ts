import { readFile } from 'node:fs/promises';
import type { App} from '@slack/bolt';
import { type Receiver } from '@slack/bolt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalCard } from '../../../src/chat/slack/blocks/approval-card.ts';
import { sessionCard } from '../../../src/chat/slack/blocks/session-card.ts';
import { createSlackApp } from '../../../src/chat/slack/app.ts';
import { ACTION, BOT_SCOPES, EVENTS_PATH, SLASH_COMMAND } from '../../../src/chat/slack/ids.ts';
import { checkLinkReply, claimReply } from '../../../src/chat/slack/replies.ts';
import type { ChatSessionContext } from '../../../src/engine/chat-session-context.ts';
import type { EngineDeps } from '../../../src/engine/deps.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack/fake-slack.ts';

interface Manifest {
  features: { slash_commands: { command: string; url: string }[]; bot_user: unknown };
  oauth_config: { redirect_urls: string[]; scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string } };
}

const manifest = parse(await readFile(new URL('../../../manifests/slack/manifest.yaml', import.meta.url), 'utf8')) as Manifest;

describe('manifests/slack/manifest.yaml', () => {
  it('declares the command the code listens for, with the events URL', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([SLASH_COMMAND]);
    expect(new URL(manifest.features.slash_commands[0]!.url).pathname).toBe(EVENTS_PATH);
  });

  it('sends interactivity (button clicks) to the same endpoint and redirects OAuth installs to ours', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(EVENTS_PATH);
    expect(manifest.oauth_config.redirect_urls.map((u) => new URL(u).pathname)).toEqual(['/slack/oauth_redirect']);
  });

  it('asks for exactly the bot scopes the code relies on (users:read.email for identity)', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES].sort());
    expect(manifest.oauth_config.scopes.bot).toContain('users:read.email');
  });
});

describe('action ids', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterAll(async () => fake?.close());

  const ctx: ChatSessionContext = {
    view: {
      id: '00000000-0000-4000-8000-000000000001', orgId: 'o', userId: 'u', userEmail: 'a@example.com', state: 'ACTIVE', ipv4: '203.0.113.7', ipv6: null,
      durationMinutes: 60, totalMinutes: 60, reason: null, origin: 'slack', createdAt: new Date(), startedAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000), endedAt: null, endedReason: null,
      capAt: new Date(Date.now() + 7_200_000), canExtend: true, rules: [],
      approval: { status: 'PENDING', expiresAt: new Date(), deciderUserId: null, reason: null, decidedAt: null, waitingFor: ['ops'], roles: [] },
    },
    requester: { email: 'a@example.com', chatId: 'UA' },
    decider: null,
    workspaceIds: ['T111'],
    approvals: [],
    approvalChannels: { slack: ['C0APPROVE'], teams: [] },
    channelCards: false,
  };
  const role = { id: 'ap1', roleId: 'r1', roleName: 'ops', status: 'PENDING' as const, expiresAt: new Date(), deciderUserId: null, reason: null, decidedAt: null, decider: null, channels: { slack: 'C0APPROVE' } };

  it('are stable dotted strings, and every one the cards render is one of them', () => {
    const ids = Object.values(ACTION);
    for (const id of ids) expect(id).toMatch(/^[a-z]+\.[a-z_]+$/);
    const rendered = JSON.stringify([sessionCard(ctx), sessionCard({ ...ctx, view: { ...ctx.view, capAt: new Date(Date.now() + 24 * 3_600_000) } }), sessionCard({ ...ctx, view: { ...ctx.view, state: 'AWAITING_CONFIRMATION' } }), approvalCard({ ...ctx, view: { ...ctx.view, state: 'AWAITING_APPROVAL' } }, role), claimReply('https://x.test/c/t', 60, new Date()), checkLinkReply('https://x.test/k/t', new Date())]);
    const used = [...rendered.matchAll(/"action_id":"([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(used)).toEqual(new Set(ids));
  });

  it('each has a listener that acknowledges it', async () => {
    const receiver: Receiver = { init: () => undefined, start: async () => undefined, stop: async () => undefined };
    const failingDb = new Proxy({}, {
      get: (_t, key) => (key === 'then' ? undefined : () => {
        throw new Error('no database in this test');
      }),
    }) as EngineDeps['db'];
    const engine = { db: failingDb } as unknown as EngineDeps;
    const app: App = createSlackApp({ handlers: { engine, logger: createLogger({ level: 'silent' }), publicUrl: 'https://x.test', claimTtlSeconds: 60 }, tokens: async () => ({ botToken: 'xoxb-test' }), receiver, slackApiUrl: fake.apiUrl });
    for (const actionId of Object.values(ACTION)) {
      let acked = false;
      const body = {
        type: 'block_actions', user: { id: 'UA', team_id: 'T111' }, team: { id: 'T111' }, api_app_id: 'A1', token: 't', trigger_id: '1.2.3',
        container: { type: 'message', message_ts: '1.1', channel_id: 'C1' }, channel: { id: 'C1' }, response_url: fake.responseUrl(actionId),
        actions: [{ action_id: actionId, block_id: 'b', type: 'button', value: ctx.view.id, action_ts: '1.1' }],
      };
      await app.processEvent({ body, ack: async () => void (acked = true) });
      expect(acked, actionId).toBe(true);
    }
  });
});
