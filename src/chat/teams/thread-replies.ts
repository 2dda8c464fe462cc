import { unroutedRoles, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import { TEAMS_LIMITS, teamsText } from './escape.ts';
import type { SessionEvent } from '../../engine/ports.ts';
import { card, textBlock } from './cards/elements.ts';
import { extendAction } from './cards/session-card.ts';
import { failureReasons, teamsDate } from './format.ts';
import type { OutgoingMessage } from './types.ts';

export interface TeamsReply {
  /** Posted at most once per key (remembered on the card's message ref). */
  key: string;
  /** The requester's 1:1 chat (decisions) or the card's conversation. */
  to: 'personal' | 'card';
  message: OutgoingMessage;
}

/**
 * Every approvers' channel of the request refused the post (the app was removed from its team, or
 * never added) and no other platform has one: nobody was asked, and the requester should know.
 */
export function unreachableApproversReply(ctx: ChatSessionContext, roles: string[]): TeamsReply {
  const until = ctx.view.approval ? ` It is denied at ${teamsDate(ctx.view.approval.expiresAt)} unless an approver decides through EntryGuard's API.` : '';
  return {
    key: 'approvers-unreachable',
    to: 'card',
    message: { text: `⚠️ EntryGuard could not post your request in the approvers' channel of ${roles.map((r) => teamsText(r)).join(', ')} (is the app still in that team?), so nobody was asked in chat.${until} Tell an admin.` },
  };
}

/**
 * The replies the session's *current* state calls for; keys make them once-only, so a retried or
 * late notification posts only what is still missing. The warning is keyed by the expiry it
 * warns about: after an Extend the next warning is a new reply.
 */
export function sessionReplies(ctx: ChatSessionContext, event: SessionEvent): TeamsReply[] {
  const v = ctx.view;
  const a = v.approval;
  const out: TeamsReply[] = [];
  const by = ctx.decider ? teamsText(ctx.decider.email) : 'an approver';
  if (a?.status === 'APPROVED') out.push({ key: 'approved', to: 'personal', message: { text: `✅ Your access request was approved by ${approvedBy(ctx)}. Opening access…` } });
  if (a?.status === 'DENIED') {
    const role = ctx.approvals.length > 1 ? ` for role ${teamsText(ctx.approvals.find((r) => r.status === 'DENIED')?.roleName ?? '')}` : '';
    out.push({ key: 'denied', to: 'personal', message: { text: `⛔ Your access request was denied by ${by}${role}${a.reason ? `: “${teamsText(a.reason, TEAMS_LIMITS.reason)}”` : '.'}` } });
  }
  if (a?.status === 'TIMED_OUT') out.push({ key: 'denied', to: 'personal', message: { text: '⌛ Nobody approved your request in time, so it was denied. Start again to ask once more.' } });
  const unrouted = unroutedRoles(ctx);
  if (unrouted.length && a) {
    const text = `⚠️ No approvers' channel is set up for role ${unrouted.map((r) => teamsText(r)).join(', ')}, so nobody was asked in chat. An approver can still decide through EntryGuard's API; otherwise it is denied at ${teamsDate(a.expiresAt)}. Admins: say \`approvals here ROLE\` in the approvers' channel.`;
    out.push({ key: 'unrouted', to: 'card', message: { text } });
  }
  const expires = v.expiresAt ? ` until ${teamsDate(v.expiresAt)}` : '';
  if (v.state === 'ACTIVE') out.push({ key: 'active', to: 'card', message: { text: `🟢 Access is open${expires}.` } });
  if (v.state === 'PARTIAL') out.push({ key: 'partial', to: 'card', message: { text: `🟠 Access is only partly open${expires}. These failed:\n\n${failureReasons(v).join('\n')}` } });
  if (v.state === 'FAILED') out.push({ key: 'failed', to: 'card', message: { text: `🔴 Access could not be opened:\n\n${failureReasons(v).join('\n')}` } });
  if (event === 'expiry_warning' && v.expiresAt && ['ACTIVE', 'PARTIAL', 'PENDING'].includes(v.state)) {
    const text = `⏳ This session ends ${teamsDate(v.expiresAt)} (in about 10 minutes).`;
    out.push({ key: `warning:${v.expiresAt.getTime()}`, to: 'card', message: { text, card: card([textBlock(text)], v.canExtend ? [extendAction(v)] : []) } });
  }
  if (v.state === 'EXPIRED' || v.state === 'CANCELLED') {
    const why = v.endedReason === 'EXPIRED' ? 'its time ran out' : v.endedReason === 'ADMIN' ? 'an admin stopped it' : v.endedReason === 'NOT_CONFIRMED' ? 'the address was not confirmed in time' : 'it was stopped';
    out.push({ key: 'ended', to: 'card', message: { text: `⚪ Session ended: ${why}. Access is closed.` } });
  }
  return out;
}

/** "alice@…" for one role; "alice@… (ops-a), bob@… (ops-b)" when several roles approved. */
function approvedBy(ctx: ChatSessionContext): string {
  if (ctx.approvals.length <= 1) return ctx.decider ? teamsText(ctx.decider.email) : 'an approver';
  return ctx.approvals.map((r) => `${r.decider ? teamsText(r.decider.email) : 'an approver'} (${teamsText(r.roleName)})`).join(', ');
}
