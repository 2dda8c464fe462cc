import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../../src/chat/slack/blocks/approval-card.ts';
import { sessionCard } from '../../../src/chat/slack/blocks/session-card.ts';
import { SLACK_BODY_LIMIT } from '../../../src/chat/slack/fastify-receiver.ts';
import type { ChatSessionContext, RoleApprovalContext } from '../../../src/engine/chat-session-context.ts';
import type { SessionView } from '../../../src/engine/session-view.ts';

/*
 * The largest request Slack sends us is a button click (block_actions): its payload carries the
 * whole message the button sits on, and those messages are our cards. Their size is bounded by
 * our own rendering (each free-text section is cut at Slack's 3,000 characters). Here the worst
 * cards are built — 3-byte characters everywhere, which form encoding turns into 9 bytes — and
 * wrapped as Slack wraps them, so the body cap provably fits every click a real user can make.
 */

const wide = (n: number) => 'Ω数据库'.repeat(Math.ceil(n / 4)).slice(0, n);
const longEmail = `${'a'.repeat(64)}@${'b'.repeat(180)}.example.com`;

function worstView(state: SessionView['state']): SessionView {
  const rules = [...Array(60).keys()].map((i) => ({
    resourceId: `r${Math.floor(i / 2)}`,
    resourceName: `${Math.floor(i / 2)}${wide(120)}`,
    kind: 'aws-security-group',
    ipVersion: (i % 2 ? 6 : 4) as 4 | 6,
    cidr: i % 2 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128' : '255.255.255.255/32',
    state: 'FAILED',
    error: wide(400),
  }));
  return {
    id: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
    orgId: 'o',
    userId: 'u',
    userEmail: longEmail,
    state,
    ipv4: '255.255.255.255',
    ipv6: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    durationMinutes: 1440,
    origin: 'slack',
    createdAt: new Date(),
    startedAt: new Date(),
    expiresAt: new Date(),
    endedAt: null,
    endedReason: null,
    capAt: new Date(),
    canExtend: state === 'ACTIVE',
    approval: { status: 'PENDING', expiresAt: new Date(), deciderUserId: null, reason: null },
    rules,
  } as unknown as SessionView;
}

/** The longest role name an org file allows, waiting for its approvers. */
const role: RoleApprovalContext = {
  id: 'f'.repeat(36),
  roleId: 'f'.repeat(36),
  roleName: 'ü'.repeat(200),
  status: 'PENDING',
  expiresAt: new Date(),
  deciderUserId: null,
  reason: null,
  decidedAt: null,
  decider: null,
  channels: { slack: 'C0123456789' },
};

const context = (view: SessionView): ChatSessionContext => ({
  view,
  requester: { email: longEmail, chatId: undefined },
  decider: null,
  workspaceIds: ['T0123456789'],
  approvals: [role],
  approvalChannels: { slack: ['C0123456789'], teams: [] },
  channelCards: false,
});

/** A block_actions request body as Slack sends it (form field `payload`), around one of our messages. */
function clickBody(message: { text: string; blocks: unknown[] }): string {
  const id = 'U0123456789';
  const payload = {
    type: 'block_actions',
    user: { id, username: 'a'.repeat(80), name: 'a'.repeat(80), team_id: 'T0123456789' },
    api_app_id: 'A0123456789',
    token: 'x'.repeat(24),
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0123456789', is_ephemeral: false },
    trigger_id: '1234567890123.1234567890123.0123456789abcdef0123456789abcdef',
    team: { id: 'T0123456789', domain: 'a'.repeat(21) },
    enterprise: { id: 'E0123456789', name: 'a'.repeat(80) },
    is_enterprise_install: false,
    channel: { id: 'C0123456789', name: 'a'.repeat(80) },
    message: {
      type: 'message',
      subtype: 'bot_message',
      text: message.text,
      ts: '1700000000.000100',
      bot_id: 'B0123456789',
      app_id: 'A0123456789',
      team: 'T0123456789',
      bot_profile: { id: 'B0123456789', name: 'EntryGuard', icons: { image_36: 'https://a.slack-edge.com/'.padEnd(200, 'x'), image_48: 'https://a.slack-edge.com/'.padEnd(200, 'x'), image_72: 'https://a.slack-edge.com/'.padEnd(200, 'x') } },
      blocks: message.blocks,
    },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/T0123456789/1234567890123/${'x'.repeat(24)}`,
    actions: [{ action_id: 'session.extend', block_id: 'session_controls', text: { type: 'plain_text', text: 'Extend 1h', emoji: true }, value: `${'f'.repeat(36)}|1700000000000`, type: 'button', action_ts: '1700000000.123456' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe('the Slack body cap', () => {
  it('fits a click on the largest session card and approval card we can render, with room to spare', () => {
    const sizes = [sessionCard(context(worstView('ACTIVE'))), approvalCard(context(worstView('AWAITING_APPROVAL')), role)].map((card) => Buffer.byteLength(clickBody(card)));
    for (const size of sizes) {
      expect(size).toBeGreaterThan(20_000); // the worst case really is built (3-byte text filling the cut-off sections)
      expect(size).toBeLessThan(SLACK_BODY_LIMIT / 1.5);
    }
  });
});
