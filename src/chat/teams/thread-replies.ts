import { unroutedRoles, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import type { SessionEvent } from '../../engine/ports.ts';
import { notice } from './cards/elements.ts';
import { warningCard } from './cards/warning-card.ts';
import { teamsText } from './escape.ts';
import { cardTime, failureReasons, sessionName } from './format.ts';
import { fitList, LIST_BUDGET_BYTES, LIST_LIMITS, nameList, TEAMS_LIMITS } from './limits.ts';
import type { OutgoingMessage } from './types.ts';

export interface TeamsReply {
  /** Posted at most once per key (remembered on the card's message ref). */
  key: string;
  /** The requester's 1:1 chat (decisions) or the card's conversation. */
  to: 'personal' | 'card';
  message: OutgoingMessage;
  /** A reply with buttons, kept up to date after it is posted (the warning, for the expiry it warns about). */
  track?: { kind: 'warning'; warnedFor: number };
}

/**
 * Every approvers' channel of the request refused the post (the app was removed from its team, or
 * never added) and no other platform has one: nobody was asked, and the requester should know.
 */
export function unreachableApproversReply(ctx: ChatSessionContext, roles: string[]): TeamsReply {
  const until = ctx.view.approval ? ` It is denied at ${cardTime(ctx.view.approval.expiresAt)} unless an approver decides through EntryGuard's API.` : '';
  return {
    key: 'approvers-unreachable',
    to: 'card',
    message: { card: notice(`⚠️ EntryGuard could not post your request for ${sessionName(ctx.view.id)} in the approvers' channel of ${names(roles)} (is the app still in that team?), so nobody was asked in chat.${until} Tell an admin.`) },
  };
}

/**
 * The replies the session's *current* state calls for; keys make them once-only, so a retried or
 * late notification posts only what is still missing. The warning is keyed by the expiry it
 * warns about: after an Extend the next warning is a new reply. Each names the session, and
 * times are cards so Teams shows them in the reader's time zone.
 */
export function sessionReplies(ctx: ChatSessionContext, event: SessionEvent): TeamsReply[] {
  const v = ctx.view;
  const a = v.approval;
  const name = sessionName(v.id);
  const out: TeamsReply[] = [];
  const by = ctx.decider ? teamsText(ctx.decider.email) : 'an approver';
  if (a?.status === 'APPROVED') out.push({ key: 'approved', to: 'personal', message: { text: `✅ Your access request (${name}) was approved by ${approvedBy(ctx)}. Opening access…` } });
  if (a?.status === 'DENIED') {
    const role = ctx.approvals.length > 1 ? ` for role ${teamsText(ctx.approvals.find((r) => r.status === 'DENIED')?.roleName ?? '')}` : '';
    out.push({ key: 'denied', to: 'personal', message: { text: `⛔ Your access request (${name}) was denied by ${by}${role}${a.reason ? `: “${teamsText(a.reason, TEAMS_LIMITS.reason)}”` : '.'}` } });
  }
  if (a?.status === 'TIMED_OUT') out.push({ key: 'denied', to: 'personal', message: { text: `⌛ Nobody approved your request (${name}) in time, so it was denied. Start again to ask once more.` } });
  const unrouted = unroutedRoles(ctx);
  if (unrouted.length && a) {
    const text = `⚠️ No approvers' channel is set up for role ${names(unrouted)}, so nobody was asked in chat about ${name}. An approver can still decide through EntryGuard's API; otherwise it is denied at ${cardTime(a.expiresAt)}. Admins: say **approvals here ROLE** in the approvers' channel.`;
    out.push({ key: 'unrouted', to: 'card', message: { card: notice(text) } });
  }
  const until = v.expiresAt ? ` until ${cardTime(v.expiresAt)}` : '';
  if (v.state === 'ACTIVE') out.push({ key: 'active', to: 'card', message: { card: notice(`🟢 Access is open${until} (${name}).`) } });
  if (v.state === 'PARTIAL') out.push({ key: 'partial', to: 'card', message: { card: notice(`🟠 Access is only partly open${until} (${name}). These failed:\n\n${failures(ctx)}`) } });
  if (v.state === 'FAILED') out.push({ key: 'failed', to: 'card', message: { card: notice(`🔴 Access could not be opened (${name}):\n\n${failures(ctx)}`) } });
  if (event === 'expiry_warning' && v.expiresAt && ['ACTIVE', 'PARTIAL', 'PENDING'].includes(v.state)) {
    const warnedFor = v.expiresAt.getTime();
    out.push({ key: `warning:${warnedFor}`, to: 'card', message: { card: warningCard(v, v.expiresAt) }, track: { kind: 'warning', warnedFor } });
  }
  if (v.state === 'EXPIRED' || v.state === 'CANCELLED') {
    const why = v.endedReason === 'EXPIRED' ? 'its time ran out' : v.endedReason === 'ADMIN' ? 'an admin stopped it' : v.endedReason === 'NOT_CONFIRMED' ? 'the address was not confirmed in time' : 'it was stopped';
    const closed = v.startedAt ? ' Access is closed.' : ' Nothing was opened.';
    out.push({ key: 'ended', to: 'card', message: { text: `⚪ Your EntryGuard ${name} ended: ${why}.${closed}` } });
  }
  return out;
}

/** The failed rules as a list, cut to a readable length. */
function failures(ctx: ChatSessionContext): string {
  const { shown, more } = fitList(failureReasons(ctx.view), LIST_LIMITS.failures, LIST_BUDGET_BYTES.failures);
  return [...shown.map((l) => `- ${l}`), ...(more ? [more] : [])].join('\n');
}

const names = (roles: string[]): string => nameList(roles.map((r) => teamsText(r)), LIST_LIMITS.waitingRoles);

/** "alice@…" for one role; "alice@… (ops-a), bob@… (ops-b)" when several roles approved. */
function approvedBy(ctx: ChatSessionContext): string {
  if (ctx.approvals.length <= 1) return ctx.decider ? teamsText(ctx.decider.email) : 'an approver';
  return ctx.approvals.map((r) => `${r.decider ? teamsText(r.decider.email) : 'an approver'} (${teamsText(r.roleName)})`).join(', ');
}
