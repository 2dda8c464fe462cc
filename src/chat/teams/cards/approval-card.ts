import type { ChatSessionContext, RoleApprovalContext } from '../../../engine/chat-session-context.ts';
import { VERB } from '../ids.ts';
import { teamsText } from '../escape.ts';
import { cardTime, durationText, ipsText, sessionName } from '../format.ts';
import { LIST_LIMITS, nameList, TEAMS_LIMITS } from '../limits.ts';
import type { AdaptiveCard } from '../types.ts';
import { card, executeAction, facts, textBlock } from './elements.ts';

const OUTCOME: Record<string, string> = {
  APPROVED: 'Approved',
  DENIED: 'Denied',
  TIMED_OUT: 'Timed out – nobody answered in time',
};

/**
 * One role's approval card, in that role's channel: which role it asks for, requester, duration,
 * IPs, resources, the requester's reason, Approve / Deny while the role waits; afterwards the same card says who decided
 * and when, for everyone (and, while other roles still wait, which).
 */
export function approvalCard(ctx: ChatSessionContext, role: RoleApprovalContext, opts: { reason?: string | undefined } = {}): AdaptiveCard {
  const v = ctx.view;
  const pending = role.status === 'PENDING' && v.state === 'AWAITING_APPROVAL';
  const resources = nameList([...new Set(v.rules.map((r) => r.resourceName))].map((n) => teamsText(n)));
  const body: unknown[] = [
    textBlock(`Access request (${sessionName(v.id)}) from ${teamsText(ctx.requester.email)}`, { weight: 'Bolder', size: 'Medium' }),
    textBlock(`Approval for role **${teamsText(role.roleName)}**`, { id: 'role' }),
    facts([
      ['Duration', durationText(v.durationMinutes)],
      ['Addresses', ipsText(v)],
      ['Resources', resources || 'none'],
      ...(opts.reason ? [['Reason', teamsText(opts.reason, TEAMS_LIMITS.reason)] as [string, string]] : []),
    ]),
  ];
  if (pending) {
    body.push(textBlock(`Answer by ${cardTime(role.expiresAt)}`, { isSubtle: true, id: 'deadline' }));
    const data = { sessionId: v.id, roleId: role.roleId, card: 'approval' };
    return card(body, [
      executeAction('Approve', VERB.approvalApprove, data, 'positive'),
      executeAction('Deny', VERB.approvalDeny, data, 'destructive'),
    ]);
  }
  body.push(textBlock(outcomeText(ctx, role), { weight: 'Bolder', id: 'outcome' }));
  return card(body);
}

function outcomeText(ctx: ChatSessionContext, role: RoleApprovalContext): string {
  const who = role.decider ? ` by ${teamsText(role.decider.email)}` : '';
  const when = role.decider?.at ? `, ${cardTime(role.decider.at)}` : '';
  const reason = role.reason && role.status === 'DENIED' ? ` – “${teamsText(role.reason, TEAMS_LIMITS.reason)}”` : '';
  if (role.status === 'APPROVED' || role.status === 'DENIED') {
    const waiting = ctx.view.state === 'AWAITING_APPROVAL' && ctx.view.approval?.waitingFor.length ? ` – still waiting for ${nameList(ctx.view.approval.waitingFor.map((r) => teamsText(r)), LIST_LIMITS.waitingRoles)}` : '';
    return `${OUTCOME[role.status]}${who}${when}${reason}${waiting}`;
  }
  if (role.status === 'TIMED_OUT') return OUTCOME.TIMED_OUT!;
  const settler = ctx.approvals.find((a) => a.status === 'DENIED' || a.status === 'TIMED_OUT');
  if (settler?.status === 'DENIED') return `Closed – role ${teamsText(settler.roleName)} denied the request`;
  if (settler?.status === 'TIMED_OUT') return `Closed – role ${teamsText(settler.roleName)} did not answer in time`;
  return 'Withdrawn by the requester';
}
