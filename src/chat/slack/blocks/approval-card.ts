import type { types } from '@slack/bolt';
import { SLACK_LIMITS, slackText } from '../escape.ts';
import type { ChatSessionContext, RoleApprovalContext } from '../../../engine/chat-session-context.ts';
import { ACTION } from '../ids.ts';
import { durationText, ipsText, mention, shortId, slackDate } from '../format.ts';
import { BLOCK_KIT, context, fieldsSection, fit, fitList, section } from './limits.ts';

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
  const resources = [...new Set(v.rules.map((r) => r.resourceName))].map((n) => `• ${slackText(n)}`);
  const text = fit(`EntryGuard access request from ${slackText(ctx.requester.email)} (${durationText(v.durationMinutes)}) – approval for role ${slackText(role.roleName)}`, BLOCK_KIT.messageText);
  const blocks: Block[] = [
    section(`*Access request* \`${shortId(v.id)}\` from ${mention(ctx.requester)} (${slackText(ctx.requester.email)})`, 'approval_head'),
    context([`Approval for role *${slackText(role.roleName)}*`], 'approval_role'),
  ];
  if (v.reason) blocks.push(section(`*Reason*\n${slackText(v.reason, SLACK_LIMITS.reason)}`, 'approval_reason'));
  blocks.push(
    fieldsSection([`*Duration*\n${durationText(v.durationMinutes)}`, `*Addresses*\n${ipsText(v)}`], 'approval_fields'),
    section(fitList(`*Resources (${resources.length})*`, resources.length ? resources : ['_none_']), 'approval_resources'),
  );
  if (pending) {
    blocks.push(context([`Answer by ${slackDate(role.expiresAt)}`], 'approval_deadline'));
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
  blocks.push(section(outcomeText(ctx, role), 'approval_outcome'));
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
