import type { types } from '@slack/bolt';
import type { ChatSessionContext } from '../../../engine/chat-session-context.ts';
import { ACTION } from '../ids.ts';
import { durationText, esc, ipsText, mention, shortId, slackDate } from '../format.ts';

type Block = types.KnownBlock;

const OUTCOME: Record<string, string> = {
  APPROVED: ':white_check_mark: Approved',
  DENIED: ':no_entry: Denied',
  TIMED_OUT: ':hourglass: Timed out – nobody answered in time',
  WITHDRAWN: ':heavy_minus_sign: Withdrawn by the requester',
};

/**
 * The approval card in a role's channel: requester, duration, IPs, resources, Approve / Deny
 * while pending; afterwards the same card says who decided and when, for everyone.
 */
export function approvalCard(ctx: ChatSessionContext): { text: string; blocks: Block[] } {
  const v = ctx.view;
  const a = v.approval;
  const pending = a?.status === 'PENDING' && v.state === 'AWAITING_APPROVAL';
  const resources = [...new Set(v.rules.map((r) => r.resourceName))].map((n) => `• ${esc(n)}`).join('\n') || '_none_';
  const text = `EntryGuard access request from ${ctx.requester.email} (${durationText(v.durationMinutes)})`;
  const blocks: Block[] = [
    { type: 'section', block_id: 'approval_head', text: { type: 'mrkdwn', text: `*Access request* \`${shortId(v.id)}\` from ${mention(ctx.requester)} (${esc(ctx.requester.email)})` } },
    {
      type: 'section',
      block_id: 'approval_fields',
      fields: [
        { type: 'mrkdwn', text: `*Duration*\n${durationText(v.durationMinutes)}` },
        { type: 'mrkdwn', text: `*Addresses*\n${ipsText(v)}` },
      ],
    },
    { type: 'section', block_id: 'approval_resources', text: { type: 'mrkdwn', text: `*Resources*\n${resources}`.slice(0, 3000) } },
  ];
  if (pending) {
    if (a) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Answer by ${slackDate(a.expiresAt)}` }] });
    blocks.push({
      type: 'actions',
      block_id: 'approval_controls',
      elements: [
        { type: 'button', action_id: ACTION.approvalApprove, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: v.id },
        { type: 'button', action_id: ACTION.approvalDeny, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: v.id },
      ],
    });
  } else {
    const status = a?.status === 'PENDING' ? 'WITHDRAWN' : (a?.status ?? 'WITHDRAWN');
    const who = ctx.decider ? ` by ${mention(ctx.decider)}` : '';
    const when = ctx.decider?.at ? ` on ${slackDate(ctx.decider.at)}` : '';
    const reason = a?.reason && status !== 'TIMED_OUT' ? ` – “${esc(a.reason)}”` : '';
    blocks.push({ type: 'section', block_id: 'approval_outcome', text: { type: 'mrkdwn', text: `${OUTCOME[status] ?? status}${who}${when}${reason}` } });
  }
  return { text, blocks };
}
