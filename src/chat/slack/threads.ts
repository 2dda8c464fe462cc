import type { types } from '@slack/bolt';
import { SLACK_LIMITS, slackText } from './escape.ts';
import { unroutedRoles, type ChatSessionContext } from '../../engine/chat-session-context.ts';
import type { SessionEvent } from '../../engine/ports.ts';
import { extendControl } from './blocks/controls.ts';
import { fitList, section } from './blocks/limits.ts';
import { endedWhy, failureReasons, mention, sessionName, slackDate } from './format.ts';
import { isLive } from '../../engine/state-machine.ts';

export interface ThreadReply {
  /** Posted at most once per key (remembered on the card's message ref). */
  key: string;
  text: string;
  blocks?: types.KnownBlock[];
  /** It carries controls: the notifier keeps it up to date with the session (warningReply). */
  live?: boolean;
}

const WARNING = 'warning:';

/**
 * The "ends in 10 minutes" reply for the expiry it warned about, as the session is *now*: with
 * Extend while that expiry still holds; after an extension or the end, it says so, without
 * controls (so an old warning never offers a button that no longer applies).
 */
export function warningReply(ctx: ChatSessionContext, key: string): ThreadReply | undefined {
  if (!key.startsWith(WARNING)) return undefined;
  const v = ctx.view;
  const warned = Number(key.slice(WARNING.length));
  const name = sessionName(v);
  if (!isLive(v.state) || v.state === 'AWAITING_APPROVAL') {
    const text = `:white_circle: Session ${name} has ended: ${endedWhy(v.endedReason)}.`;
    return { key, text, blocks: [section(text)], live: true };
  }
  if (v.expiresAt && v.expiresAt.getTime() !== warned) {
    const text = `:hourglass_flowing_sand: Session ${name} was extended: it now ends ${slackDate(v.expiresAt)}.`;
    return { key, text, blocks: [section(text)], live: true };
  }
  const text = `:hourglass_flowing_sand: Session ${name} ends ${slackDate(new Date(warned))} (in about 10 minutes).`;
  const blocks: types.KnownBlock[] = [section(text)];
  const extend = v.canExtend ? extendControl(v) : undefined;
  if (extend) blocks.push({ type: 'actions', block_id: 'warning_controls', elements: [extend] });
  return { key, text, blocks, live: true };
}

/**
 * The approvers' channel of some roles refused the post (the bot is not in it, or it was
 * archived) and no other platform has one for them: their approvers were not asked, and the
 * requester should know.
 */
export function unreachableApproversReply(ctx: ChatSessionContext, roles: string[]): ThreadReply {
  const until = ctx.view.approval ? ` It is denied at ${slackDate(ctx.view.approval.expiresAt)} unless an approver decides through EntryGuard's API.` : '';
  const which = roles.map((x) => slackText(x)).join(', ');
  return { key: 'approvers-unreachable', text: `:warning: EntryGuard could not post the request in the approvers' channel of ${which} (is the bot invited there?), so nobody was asked in Slack.${until} Tell an admin.` };
}

/**
 * The threaded replies the session's *current* state calls for. Keys make them once-only: a
 * retried or late notification renders the same list and posts only what is still missing.
 * The 10-minute warning is keyed by the expiry it warns about, so after an Extend the next
 * warning is a new reply.
 */
export function threadReplies(ctx: ChatSessionContext, event: SessionEvent): ThreadReply[] {
  const v = ctx.view;
  const out: ThreadReply[] = [];
  const a = v.approval;
  if (a?.status === 'APPROVED') out.push({ key: 'approved', text: `:white_check_mark: Approved by ${approvedBy(ctx)}. Opening access…` });
  if (a?.status === 'DENIED') {
    const role = ctx.approvals.length > 1 ? ` for role ${slackText(ctx.approvals.find((r) => r.status === 'DENIED')?.roleName ?? '')}` : '';
    out.push({ key: 'denied', text: `:no_entry: Denied by ${ctx.decider ? mention(ctx.decider) : 'an approver'}${role}${a.reason ? `: “${slackText(a.reason, SLACK_LIMITS.reason)}”` : '.'}` });
  }
  if (a?.status === 'TIMED_OUT') out.push({ key: 'denied', text: ':hourglass: Nobody approved the request in time, so it was denied. Start again to ask once more.' });
  const unrouted = unroutedRoles(ctx);
  if (unrouted.length && a) {
    const text = `:warning: No approvers' channel is set up for role ${unrouted.map((x) => slackText(x)).join(', ')}, so nobody was asked in Slack. An approver can still decide through EntryGuard's API; otherwise it is denied at ${slackDate(a.expiresAt)}. Admins: \`/entryguard approvals here &lt;role&gt;\` in the approvers' channel.`;
    out.push({ key: 'unrouted', text });
  }
  const expires = v.expiresAt ? ` until ${slackDate(v.expiresAt)}` : '';
  if (v.state === 'ACTIVE') out.push({ key: 'active', text: `:large_green_circle: Session ${sessionName(v)}: access is open${expires}.` });
  if (v.state === 'PARTIAL') {
    const text = fitList(`:large_orange_circle: Session ${sessionName(v)}: access is only partly open${expires}. These failed:`, failureReasons(v));
    out.push({ key: 'partial', text, blocks: [section(text)] });
  }
  if (v.state === 'FAILED') {
    const text = fitList(`:red_circle: Session ${sessionName(v)}: access could not be opened:`, failureReasons(v));
    out.push({ key: 'failed', text, blocks: [section(text)] });
  }
  if (event === 'expiry_warning' && v.expiresAt && ['ACTIVE', 'PARTIAL', 'PENDING'].includes(v.state)) {
    out.push(warningReply(ctx, `${WARNING}${v.expiresAt.getTime()}`)!);
  }
  if (v.state === 'EXPIRED' || v.state === 'CANCELLED') {
    // A request withdrawn before anything opened has nothing to close.
    const closed = v.startedAt ? ' Access is closed.' : '';
    out.push({ key: 'ended', text: `:white_circle: Session ${sessionName(v)} ended: ${endedWhy(v.endedReason)}.${closed}` });
  }
  return out;
}

/** "@alice" for one role; "@alice (ops-a), @bob (ops-b)" when several roles approved. */
function approvedBy(ctx: ChatSessionContext): string {
  if (ctx.approvals.length <= 1) return ctx.decider ? mention(ctx.decider) : 'an approver';
  return ctx.approvals.map((r) => `${r.decider ? mention(r.decider) : 'an approver'} (${slackText(r.roleName)})`).join(', ');
}
