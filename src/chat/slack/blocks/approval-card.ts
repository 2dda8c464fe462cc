import type { types } from '@slack/bolt';
import { SLACK_LIMITS, slackText } from '../escape.ts';
import type { ChatSessionContext, RoleApprovalContext } from '../../../engine/chat-session-context.ts';
import { ACTION } from '../ids.ts';
import { durationText, ipsText, mention, shortId, slackDate } from '../format.ts';

type Block = types.KnownBlock;

const OUTCOME: Record<string, string> = {
  APPROVED: ':white_check_mark: Approved',
  DENIED: ':no_entry: Denied',
  TIMED_OUT: ':hourglass: Timed out – nobody answered in time',
};

/** A role's card button carries the session and the role it decides for. */
export const approvalValue = (sessionId: string, roleId: string | null): string => (roleId ? `${sessionId}|${roleId}` : sessionId);

export function parseApprovalValue(value: string): { sessionId: string; role: string | undefined } {
  const [sessionId = '', role] = value.split('|');
  return { sessionId, role: role || undefined };
}

/**
 * One role's approval card, in that role's channel: which role it asks for, requester, duration,
 * IPs, resources, Approve / Deny while the role waits; afterwards the same card says who decided
 * and when, for everyone (and, while other roles still wait, which).
 */
export function approvalCard(ctx: ChatSessionContext, role: RoleApprovalContext): { text: string; blocks: Block[] } {
  const v = ctx.view;
  const pending = role.status === 'PENDING' && v.state === 'AWAITING_APPROVAL';
  const resources = [...new Set(v.rules.map((r) => r.resourceName))].map((n) => `• ${slackText(n)}`).join('\n') || '_none_';
  const text = `EntryGuard access request from ${slackText(ctx.requester.email)} (${durationText(v.durationMinutes)}) – approval for role ${slackText(role.roleName)}`;
  const blocks: Block[] = [
    { type: 'section', block_id: 'approval_head', text: { type: 'mrkdwn', text: `*Access request* \`${shortId(v.id)}\` from ${mention(ctx.requester)} (${slackText(ctx.requester.email)})` } },
    { type: 'context', block_id: 'approval_role', elements: [{ type: 'mrkdwn', text: `Approval for role *${slackText(role.roleName)}*` }] },
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
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Answer by ${slackDate(role.expiresAt)}` }] });
    const value = approvalValue(v.id, role.roleId);
    blocks.push({
      type: 'actions',
      block_id: 'approval_controls',
      elements: [
        { type: 'button', action_id: ACTION.approvalApprove, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
        { type: 'button', action_id: ACTION.approvalDeny, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value },
      ],
    });
    return { text, blocks };
  }
  blocks.push({ type: 'section', block_id: 'approval_outcome', text: { type: 'mrkdwn', text: outcomeText(ctx, role) } });
  return { text, blocks };
}

function outcomeText(ctx: ChatSessionContext, role: RoleApprovalContext): string {
  const who = role.decider ? ` by ${mention(role.decider)}` : '';
  const when = role.decider?.at ? ` on ${slackDate(role.decider.at)}` : '';
  const reason = role.reason && role.status === 'DENIED' ? ` – “${slackText(role.reason, SLACK_LIMITS.reason)}”` : '';
  if (role.status === 'APPROVED' || role.status === 'DENIED') {
    const waiting = ctx.view.state === 'AWAITING_APPROVAL' && ctx.view.approval?.waitingFor.length ? `\nStill waiting for: ${ctx.view.approval.waitingFor.map((x) => slackText(x)).join(', ')}` : '';
    return `${OUTCOME[role.status]}${who}${when}${reason}${waiting}`;
  }
  if (role.status === 'TIMED_OUT') return OUTCOME.TIMED_OUT!;
  // WITHDRAWN (or a request ended before this role answered): say why.
  const settler = ctx.approvals.find((a) => a.status === 'DENIED' || a.status === 'TIMED_OUT');
  if (settler?.status === 'DENIED') return `:heavy_minus_sign: Closed – role ${slackText(settler.roleName)} denied the request`;
  if (settler?.status === 'TIMED_OUT') return `:heavy_minus_sign: Closed – role ${slackText(settler.roleName)} did not answer in time`;
  return ':heavy_minus_sign: Withdrawn by the requester';
}
