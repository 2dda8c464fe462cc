import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../../src/chat/slack/blocks/approval-card.ts';
import { sessionCard } from '../../../src/chat/slack/blocks/session-card.ts';
import { claimReply, helpReply, resourcesReply, sessionsReply, usageReply } from '../../../src/chat/slack/replies.ts';
import { threadReplies, unreachableApproversReply, warningReply } from '../../../src/chat/slack/threads.ts';
import type { ChatSessionContext, RoleApprovalContext } from '../../../src/engine/chat-session-context.ts';
import type { SessionView } from '../../../src/engine/session-view.ts';
import { blockKitProblems } from '../../fakes/slack/block-kit.ts';

/*
 * Issue 11, point 7: every message we build goes through Block Kit's limits with the worst
 * inputs — 60 resources with long names, long provider errors, hostile text, the longest reason
 * — and is checked by an independent validator (the same one the fake Slack refuses with).
 */
const HOSTILE = '<!channel> <https://evil.example|x> & `code` *bold* ';
const long = (n: number) => HOSTILE.repeat(Math.ceil(n / HOSTILE.length)).slice(0, n);
const at = new Date('2030-01-01T10:00:00Z');
const later = new Date('2030-01-02T10:00:00Z');

function view(state: SessionView['state'], over: Partial<SessionView> = {}): SessionView {
  const rules = [...Array(120).keys()].map((i) => ({
    resourceId: `r${Math.floor(i / 2)}`,
    resourceName: `${Math.floor(i / 2)}-${long(120)}`,
    kind: 'aws-security-group',
    ipVersion: (i % 2 ? 6 : 4) as 4 | 6,
    cidr: i % 2 ? '2001:db8::1/128' : '203.0.113.7/32',
    state: i % 3 ? 'FAILED' : 'APPLIED',
    error: i % 3 ? long(600) : null,
  }));
  return {
    id: 'ffffffff-ffff-4fff-bfff-ffffffffffff', orgId: 'o', userId: 'u', userEmail: `${'a'.repeat(64)}@example.com`, state,
    ipv4: '203.0.113.7', ipv6: '2001:db8::1', durationMinutes: 120, totalMinutes: 1440, origin: 'slack', reason: long(200),
    createdAt: at, startedAt: at, expiresAt: at, endedAt: null, endedReason: null, capAt: later, canExtend: state === 'ACTIVE' || state === 'PARTIAL',
    approval: { status: 'PENDING', expiresAt: at, deciderUserId: null, reason: long(500), decidedAt: null, waitingFor: [long(120), long(120)], roles: [] },
    rules,
    ...over,
  };
}

const role: RoleApprovalContext = {
  id: 'a1', roleId: 'r1', roleName: long(120), status: 'PENDING', expiresAt: at, deciderUserId: null, reason: long(500), decidedAt: null,
  decider: { email: long(120), chatId: undefined, at }, channels: { slack: 'C1' },
};
const ctx = (v: SessionView): ChatSessionContext => ({
  view: v, requester: { email: long(200), chatId: undefined }, decider: { email: long(200), chatId: undefined, at }, workspaceIds: ['T1'],
  approvals: [role, { ...role, id: 'a2', status: 'DENIED' }], approvalChannels: { slack: ['C1'], teams: [] }, channelCards: false,
});
const options = { resources: [...Array(60).keys()].map((i) => ({ name: `${i}${long(120)}`, kind: 'script' })), offeredMinutes: [60, 120, 240, 480, 720, 960, 1440], maxTotalMinutes: 1440, needsApproval: true };

function everything() {
  const out: { name: string; message: { text: string; blocks?: unknown[] } }[] = [];
  for (const state of ['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'CANCELLED', 'DENIED'] as const) {
    const c = ctx(view(state, state === 'CANCELLED' ? { endedAt: at, endedReason: 'MANUAL' } : {}));
    out.push({ name: `session card ${state}`, message: sessionCard(c) });
    for (const r of c.approvals) out.push({ name: `approval card ${state} ${r.status}`, message: approvalCard(c, r) });
    for (const event of ['state_changed', 'expiry_warning', 'denied', 'ended'] as const) threadReplies(c, event).forEach((m) => out.push({ name: `thread ${state} ${event} ${m.key}`, message: m }));
    const w = warningReply(c, `warning:${at.getTime()}`);
    if (w) out.push({ name: `warning ${state}`, message: w });
  }
  out.push({ name: 'unreachable', message: unreachableApproversReply(ctx(view('AWAITING_APPROVAL')), Array(60).fill(long(120))) });
  out.push({ name: 'help', message: helpReply(true, options) });
  out.push({ name: 'usage', message: usageReply(options, 'unknown', long(3000)) });
  out.push({ name: 'resources', message: resourcesReply(options) });
  out.push({ name: 'sessions', message: sessionsReply(Array(60).fill(view('AWAITING_APPROVAL')), { empty: '', withOwner: true }) });
  out.push({ name: 'claim', message: claimReply(`https://eg.example.test/c/${'x'.repeat(43)}`, 1440, at, long(200)) });
  return out;
}

describe('Block Kit limits (issue 11, point 7)', () => {
  it('every card, reply and warning built from the worst inputs is a message Slack accepts', () => {
    const all = everything();
    expect(all.length).toBeGreaterThan(40);
    for (const { name, message } of all) expect(blockKitProblems(message), name).toEqual([]);
  });

  it('the PARTIAL reply built from many long errors fits one section and says how many more failed', () => {
    const partial = threadReplies(ctx(view('PARTIAL')), 'state_changed').find((r) => r.key === 'partial')!;
    const text = (partial.blocks![0] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/…and \d+ more$/);
  });

  it('the validator itself refuses what Slack refuses', () => {
    expect(blockKitProblems({ text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3328) } }] })).toEqual(['block 0 (section) text: 3328 > 3000']);
    expect(blockKitProblems({ text: 'x', blocks: Array(51).fill({ type: 'divider' }) })).toEqual(['blocks: 51']);
    expect(blockKitProblems({ text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'x'.repeat(76) }, action_id: 'a' }] }] })).toHaveLength(1);
  });
});
