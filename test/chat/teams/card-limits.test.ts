import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../../src/chat/teams/cards/approval-card.ts';
import { claimCard } from '../../../src/chat/teams/cards/claim-card.ts';
import { sessionCard } from '../../../src/chat/teams/cards/session-card.ts';
import { startForm, welcomeCard } from '../../../src/chat/teams/cards/start-form.ts';
import { warningCard } from '../../../src/chat/teams/cards/warning-card.ts';
import { CARD_BUDGET_BYTES, TEAMS_LIMITS, TEAMS_MESSAGE_BYTES } from '../../../src/chat/teams/limits.ts';
import { helpReply, resourcesReply, sessionsReply, usageReply } from '../../../src/chat/teams/replies.ts';
import { sessionReplies, unreachableApproversReply } from '../../../src/chat/teams/thread-replies.ts';
import type { OutgoingMessage } from '../../../src/chat/teams/types.ts';
import type { ChatSessionContext, RoleApprovalContext } from '../../../src/engine/chat-session-context.ts';
import type { SessionRuleView, SessionView } from '../../../src/engine/session-view.ts';
import type { StartOptions } from '../../../src/engine/start-options.ts';
import { textOf } from './harness.ts';

/*
 * Issue 11, points 7 and 10 on Teams: every card and reply, rendered from the worst inputs (60
 * resources with both address families, 2,000-character provider errors, long hostile names),
 * stays inside what Teams accepts, is a valid Adaptive Card as far as its rules can be checked
 * here, and uses no internal word.
 */
const HOSTILE = '**bold** [x](https://evil.example) <at>Bob</at> {{DATE(2030-01-01T00:00:00Z)}} `code` # head ';
const LONG = (n: number) => (HOSTILE + 'ä😀'.repeat(n)).slice(0, n);
const at = new Date('2030-01-01T10:00:00Z');

function worstContext(state: SessionView['state']): ChatSessionContext {
  const rules: SessionRuleView[] = [];
  for (let i = 0; i < 60; i++) {
    for (const v of [4, 6] as const) {
      rules.push({ resourceId: `res-${i}`, resourceName: `${LONG(200)}-${i}`, kind: LONG(80), ipVersion: v, cidr: v === 4 ? '203.0.113.7/32' : '2001:db8::1/128', state: i % 2 ? 'FAILED' : 'APPLIED', error: i % 2 ? LONG(2000) : null });
    }
  }
  const role = (i: number): RoleApprovalContext => ({
    id: `ap${i}`, roleId: `r${i}`, roleName: LONG(300), status: 'PENDING', expiresAt: at, deciderUserId: null, reason: LONG(3000), decidedAt: null,
    decider: { email: LONG(300), chatId: undefined, at }, channels: { teams: '19:x' },
  });
  const approvals = Array.from({ length: 40 }, (_, i) => role(i));
  const view: SessionView = {
    id: '00000000-0000-4000-8000-000000000001', orgId: 'o', userId: 'u', userEmail: LONG(300), state, ipv4: '203.0.113.7', ipv6: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
    durationMinutes: 60, origin: 'teams', createdAt: at, startedAt: state === 'AWAITING_APPROVAL' ? null : at, expiresAt: new Date(at.getTime() + 3_600_000),
    endedAt: ['EXPIRED', 'CANCELLED', 'FAILED', 'DENIED'].includes(state) ? at : null, endedReason: state === 'CANCELLED' ? 'MANUAL' : state === 'EXPIRED' ? 'EXPIRED' : null,
    capAt: new Date(at.getTime() + 24 * 3_600_000), canExtend: state === 'ACTIVE' || state === 'PARTIAL',
    approval: { status: state === 'DENIED' ? 'DENIED' : 'PENDING', expiresAt: at, deciderUserId: null, reason: LONG(3000), decidedAt: null, waitingFor: approvals.map((a) => a.roleName), roles: approvals },
    rules,
    reason: LONG(3000),
    totalMinutes: 60,
  };
  return { view, requester: { email: LONG(300), chatId: undefined }, decider: null, workspaceIds: ['t'], approvals, approvalChannels: { slack: [], teams: ['19:x'] }, channelCards: false };
}

const options: StartOptions = { resources: Array.from({ length: 60 }, (_, i) => ({ name: `${LONG(200)}-${i}`, kind: LONG(80) })), offeredMinutes: [60, 120, 240, 480, 720, 960, 1440], maxTotalMinutes: 1440, needsApproval: true };
const STATES: SessionView['state'][] = ['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL', 'PENDING', 'ACTIVE', 'PARTIAL', 'FAILED', 'EXPIRING', 'EXPIRED', 'CANCELLED', 'DENIED'];

/** Every message Teams could be sent, by name. */
function everything(): [string, OutgoingMessage][] {
  const out: [string, OutgoingMessage][] = [];
  for (const s of STATES) {
    const ctx = worstContext(s);
    out.push([`session card ${s}`, { card: sessionCard(ctx, { refreshFor: Array.from({ length: 100 }, (_, i) => `29:${i}`), reason: LONG(5000) }) }]);
    out.push([`approval card ${s}`, { card: approvalCard(ctx, ctx.approvals[0]!, { reason: LONG(5000) }) }]);
    out.push([`warning ${s}`, { card: warningCard(ctx.view, ctx.view.expiresAt!) }]);
    for (const ev of ['state_changed', 'expiry_warning', 'denied', 'ended'] as const) for (const r of sessionReplies(ctx, ev)) out.push([`reply ${r.key} ${s}`, r.message]);
    out.push([`unreachable ${s}`, unreachableApproversReply(ctx, ctx.approvals.map((a) => a.roleName)).message]);
  }
  const views = Array.from({ length: 60 }, () => worstContext('AWAITING_APPROVAL').view);
  out.push(
    ['claim valid', { card: claimCard({ status: 'valid', url: `https://eg.example.test/c/${'t'.repeat(43)}`, token: 't'.repeat(43), minutes: 60, expiresAt: at, userId: '29:a' }) }],
    ['claim used', { card: claimCard({ status: 'used', sessionId: views[0]!.id }) }],
    ['claim expired', { card: claimCard({ status: 'expired' }) }],
    ['start form', { card: startForm(options) }],
    ['welcome', { card: welcomeCard() }],
    ['status', sessionsReply(views, { empty: '', withOwner: true })],
    ['help', helpReply(true, options)],
    ['usage', usageReply(options, 'start', LONG(5000))],
    ['resources', resourcesReply(options)],
  );
  return out;
}

const ELEMENTS = new Set(['TextBlock', 'FactSet', 'Input.ChoiceSet', 'Input.Text', 'Container', 'ColumnSet', 'Column', 'Image']);
const ACTIONS = new Set(['Action.Execute', 'Action.OpenUrl', 'Action.Submit', 'Action.ShowCard']);

/** The Adaptive Card rules (schema 1.5, Teams' Universal Actions) we can check without a renderer. */
function cardProblems(card: Record<string, unknown>): string[] {
  const p: string[] = [];
  if (card.type !== 'AdaptiveCard') p.push('type');
  if (card.version !== '1.5') p.push(`version ${String(card.version)}`);
  if (!Array.isArray(card.body) || card.body.length === 0) p.push('empty body');
  const ids = new Set<string>();
  for (const el of (card.body ?? []) as Record<string, unknown>[]) {
    if (!ELEMENTS.has(String(el.type))) p.push(`element ${String(el.type)}`);
    if (typeof el.id === 'string') {
      if (ids.has(el.id)) p.push(`duplicate id ${el.id}`);
      ids.add(el.id);
    }
    if (el.type === 'TextBlock' && (typeof el.text !== 'string' || el.text === '')) p.push('TextBlock without text');
    if (el.type === 'FactSet' && !(el.facts as { title: unknown; value: unknown }[]).every((f) => typeof f.title === 'string' && typeof f.value === 'string')) p.push('fact');
    if (el.type === 'Input.ChoiceSet' && !(el.choices as { title: unknown; value: unknown }[]).every((c) => typeof c.title === 'string' && typeof c.value === 'string')) p.push('choice');
  }
  const actions = (card.actions ?? []) as Record<string, unknown>[];
  // Teams shows at most 6 top-level actions.
  if (actions.length > 6) p.push(`${actions.length} actions`);
  for (const a of actions) {
    if (!ACTIONS.has(String(a.type))) p.push(`action ${String(a.type)}`);
    if (typeof a.title !== 'string' || !a.title) p.push('action title');
    if (a.type === 'Action.Execute' && typeof a.verb !== 'string') p.push('Execute without verb');
    if (a.type === 'Action.OpenUrl' && !/^https:\/\//.test(String(a.url))) p.push('OpenUrl url');
  }
  const refresh = card.refresh as { action?: { type?: string; verb?: string }; userIds?: string[] } | undefined;
  if (refresh && (refresh.action?.type !== 'Action.Execute' || !refresh.action.verb || (refresh.userIds?.length ?? 0) > 60)) p.push('refresh');
  return p;
}

describe('every Teams card and reply, from the worst inputs', () => {
  const all = everything();

  it('fits what Teams accepts: each card under our budget, each message under 28 KB, text under its cap', () => {
    expect(all.length).toBeGreaterThan(60);
    const sizes = all.map(([name, m]) => ({ name, bytes: Buffer.byteLength(JSON.stringify(m)) }));
    const over = sizes.filter((s) => s.bytes > CARD_BUDGET_BYTES);
    expect(over).toEqual([]);
    expect(Math.max(...sizes.map((s) => s.bytes))).toBeLessThan(TEAMS_MESSAGE_BYTES);
    for (const [name, m] of all) if (m.text) expect([...m.text].length, name).toBeLessThanOrEqual(TEAMS_LIMITS.message);
  });

  it('validates as Adaptive Cards (version, element and action types, ids, at most 6 actions, refresh)', () => {
    const problems = all.filter(([, m]) => m.card).map(([name, m]) => [name, cardProblems(m.card!)] as const).filter(([, p]) => p.length);
    expect(problems).toEqual([]);
  });

  it('cuts long lists with "…and N more", and provider errors to their cap', () => {
    const card = JSON.stringify(sessionCard(worstContext('PARTIAL')));
    expect(card).toMatch(/…and \d+ more/);
    const partial = sessionReplies(worstContext('PARTIAL'), 'state_changed').find((r) => r.key === 'partial')!;
    expect(textOf({ attachments: [{ content: partial.message.card }] })).toMatch(/…and \d{2} more/);
    expect(JSON.stringify(startForm(options))).toMatch(/…and \d{2} more/);
    // Every piece is cut to its cap before escaping (which at most doubles it): a resource line
    // holds a name, a kind and two errors, never a 2,000-character error whole.
    const lines = textOf({ attachments: [{ content: sessionCard(worstContext('PARTIAL')) }] }).split('\n');
    const most = 2 * (2 * TEAMS_LIMITS.name + 2 * TEAMS_LIMITS.error) + 100;
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThan(most);
  });

  it('uses no internal word, names the session in warnings and ends, and shows times in the reader’s zone', () => {
    for (const [name, m] of all) {
      const read = textOf({ text: m.text, attachments: m.card ? [{ content: m.card }] : [] });
      for (const word of [/APPLIED/, /\bmanual\b/i, /v4 removed/, /CANCELLED/, /session\(s\)/, /workspace/i, /\ba 8h\b/]) expect(read, `${name}: ${String(word)}`).not.toMatch(word);
      // A time in plain text would be UTC for everyone.
      if (!m.card) expect(read, name).not.toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    }
    const warning = JSON.stringify(warningCard(worstContext('ACTIVE').view, worstContext('ACTIVE').view.expiresAt!));
    expect(warning).toContain('session 00000000 ends {{DATE(2030-01-01T11:00:00Z, SHORT)}} {{TIME(2030-01-01T11:00:00Z)}}');
    const ended = sessionReplies(worstContext('EXPIRED'), 'ended').find((r) => r.key === 'ended')!;
    expect(ended.message.text).toContain('EntryGuard session 00000000 ended');
  });
});
