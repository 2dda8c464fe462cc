import { describe, expect, it } from 'vitest';
import type { ChatSessionContext, RoleApprovalContext } from '../../../src/engine/chat-session-context.ts';
import type { StartOptions } from '../../../src/engine/start-options.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { approvalCard as slackApprovalCard } from '../../../src/chat/slack/blocks/approval-card.ts';
import { sessionCard as slackSessionCard } from '../../../src/chat/slack/blocks/session-card.ts';
import { errorReply } from '../../../src/chat/slack/handler-deps.ts';
import * as slackReplies from '../../../src/chat/slack/replies.ts';
import { threadReplies, unreachableApproversReply } from '../../../src/chat/slack/threads.ts';
import { approvalCard as teamsApprovalCard } from '../../../src/chat/teams/cards/approval-card.ts';
import { sessionCard as teamsSessionCard } from '../../../src/chat/teams/cards/session-card.ts';
import { errorText } from '../../../src/chat/teams/handler-deps.ts';
import * as teamsReplies from '../../../src/chat/teams/replies.ts';
import { sessionReplies, unreachableApproversReply as teamsUnreachable } from '../../../src/chat/teams/thread-replies.ts';

/** The payloads of issue 10, point 11, in every field a person (or a config file, or a provider) fills. */
const SLACK_LINK = '<!channel> <https://evil.example|Re-verify here> <@U0EVIL>';
const MD_LINK = '`code` **bold** _it_ [Re-verify here](https://evil.example) <at>Bob</at> {{DATE(2030-01-01T00:00:00Z)}}';
const HOSTILE = `${SLACK_LINK} ${MD_LINK}`;
const HUGE = 'A'.repeat(30_000);

function context(text: string): { ctx: ChatSessionContext; role: RoleApprovalContext } {
  const at = new Date('2030-01-01T10:00:00Z');
  const role: RoleApprovalContext = {
    id: 'ap1', roleId: 'r1', roleName: text, status: 'DENIED', expiresAt: at, deciderUserId: 'u2', reason: text, decidedAt: at,
    decider: { email: text, chatId: undefined, at }, channels: { slack: 'C1', teams: '19:x' },
  };
  const other: RoleApprovalContext = { ...role, id: 'ap2', roleId: 'r2', roleName: `${text}-2`, status: 'WITHDRAWN', reason: null, decider: null };
  const ctx: ChatSessionContext = {
    view: {
      id: '00000000-0000-4000-8000-000000000001', orgId: 'o', userId: 'u', userEmail: text, state: 'PARTIAL', ipv4: '203.0.113.7', ipv6: null,
      durationMinutes: 60, totalMinutes: 60, reason: text, origin: 'slack', createdAt: at, startedAt: at, expiresAt: at, endedAt: null, endedReason: null, capAt: at, canExtend: true,
      rules: [
        { resourceId: 'res1', resourceName: text, kind: 'script', ipVersion: 4, cidr: '203.0.113.7/32', state: 'FAILED', error: text },
      ],
      approval: { status: 'DENIED', expiresAt: at, deciderUserId: 'u2', reason: text, decidedAt: at, waitingFor: [text], roles: [role, other] },
    },
    requester: { email: text, chatId: undefined },
    decider: { email: text, chatId: undefined, at },
    workspaceIds: ['T1'],
    approvals: [role, other],
    approvalChannels: { slack: ['C1'], teams: [] },
    channelCards: false,
  };
  return { ctx, role };
}

const options = (text: string): StartOptions => ({ resources: [{ name: text, kind: 'script' }], offeredMinutes: [60], maxTotalMinutes: 240, needsApproval: true });
const logger = createLogger({ level: 'silent' });

/** Every Slack text a person can reach, as sent (JSON of text + blocks). */
function slackRenderings(text: string): string[] {
  const { ctx, role } = context(text);
  const awaiting = { ...ctx, view: { ...ctx.view, state: 'AWAITING_APPROVAL' as const } };
  return [
    slackSessionCard(ctx), slackSessionCard(awaiting), slackApprovalCard(ctx, role), slackApprovalCard(ctx, ctx.approvals[1]!),
    ...threadReplies(ctx, 'denied'), ...threadReplies({ ...ctx, view: { ...ctx.view, state: 'FAILED' } }, 'state_changed'),
    unreachableApproversReply(ctx, [text]),
    slackReplies.usageReply(options(text), 'unknown', text), slackReplies.resourcesReply(options(text)),
    slackReplies.sessionsReply([awaiting.view], { empty: '', withOwner: true }),
    errorReply({ logger }, new AppError('NOT_FOUND', `There is no role named "${text}".`)),
  ].map((r) => JSON.stringify(r));
}

function teamsRenderings(text: string): string[] {
  const { ctx, role } = context(text);
  const awaiting = { ...ctx, view: { ...ctx.view, state: 'AWAITING_APPROVAL' as const } };
  return [
    teamsSessionCard(ctx), teamsSessionCard(awaiting), teamsApprovalCard(ctx, role), teamsApprovalCard(ctx, ctx.approvals[1]!),
    ...sessionReplies(ctx, 'denied'), ...sessionReplies({ ...ctx, view: { ...ctx.view, state: 'FAILED' } }, 'state_changed'),
    teamsUnreachable(ctx, [text]),
    teamsReplies.resourcesReply(options(text)),
    teamsReplies.sessionsReply([awaiting.view], { empty: '', withOwner: true }),
    { text: errorText({ logger }, new AppError('NOT_FOUND', `There is no role named "${text}".`)) },
  ].map((r) => JSON.stringify(r));
}

describe('text from people is escaped for Slack (issue 10, point 11)', () => {
  it('no broadcast, link or mention comes through: < > & are escaped in every builder', () => {
    for (const out of slackRenderings(HOSTILE)) {
      expect(out).not.toContain('<!channel>');
      expect(out).not.toContain('<https://evil.example');
      expect(out).not.toContain('<@U0EVIL>');
      expect(out).toContain('&lt;!channel&gt;');
    }
  });

  it('backticks in echoed input cannot close the code span around it', () => {
    const usage = slackReplies.usageReply(options('x'), 'unknown', 'stop `x` *now*').text;
    expect(usage).toContain('`stop ˋxˋ *now*`');
  });

  it('30,000 characters of input make a short reply, and every piece is capped', () => {
    for (const out of slackRenderings(HUGE)) expect(out.length).toBeLessThan(12_000);
    expect(slackReplies.usageReply(options('x'), 'unknown', HUGE).text.length).toBeLessThan(600);
  });
});

describe('text from people is escaped for Teams (issue 10, point 11)', () => {
  it('no markdown link, emphasis, code, mention tag or card function comes through', () => {
    for (const out of teamsRenderings(HOSTILE)) {
      expect(out).not.toContain('[Re-verify here](');
      expect(out).not.toContain(' **bold**');
      expect(out).not.toMatch(/[^\\]`code/);
      expect(out).not.toContain(' <at>');
      // The person's function, not ours: Teams cards show our own times with {{DATE(…)}} (issue 11, point 10).
      expect(out).not.toContain('{{DATE(2030-01-01T00:00:00Z)}}');
    }
  });

  it('echoed input stays inside one code span (rendered literally): its backticks cannot close it', () => {
    const usage = teamsReplies.usageReply(options('x'), 'unknown', HOSTILE).text!;
    const first = usage.split('\n')[0]!;
    expect(first.match(/`/g)).toHaveLength(2);
    expect(first).toContain('ˋcodeˋ **bold**');
  });

  it('a value cannot start a list or a new block', () => {
    const { ctx } = context('- item\n\n# heading\r\n1. one');
    const out = JSON.stringify(teamsSessionCard(ctx));
    expect(out).not.toContain('\\n# heading');
    expect(out).toContain('\\\\- item');
  });

  it('30,000 characters of input make a short reply, and every piece is capped', () => {
    for (const out of teamsRenderings(HUGE)) expect(out.length).toBeLessThan(12_000);
    expect(teamsReplies.usageReply(options('x'), 'unknown', HUGE).text!.length).toBeLessThan(600);
  });
});
