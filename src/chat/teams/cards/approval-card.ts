import type { ChatSessionContext } from '../../../engine/chat-session-context.ts';
import { VERB } from '../ids.ts';
import { durationText, ipsText, shortId, teamsDate } from '../format.ts';
import type { AdaptiveCard } from '../types.ts';
import { card, executeAction, facts, textBlock } from './elements.ts';

const OUTCOME: Record<string, string> = {
  APPROVED: 'Approved',
  DENIED: 'Denied',
  TIMED_OUT: 'Timed out – nobody answered in time',
  WITHDRAWN: 'Withdrawn by the requester',
};

/**
 * The approval card in a role's channel: requester, duration, IPs, resources, Approve / Deny
 * while pending; afterwards the same card says who decided and when, for everyone.
 */
export function approvalCard(ctx: ChatSessionContext): AdaptiveCard {
  const v = ctx.view;
  const a = v.approval;
  const pending = a?.status === 'PENDING' && v.state === 'AWAITING_APPROVAL';
  const resources = [...new Set(v.rules.map((r) => r.resourceName))];
  const body: unknown[] = [
    textBlock(`Access request ${shortId(v.id)} from ${ctx.requester.email}`, { weight: 'Bolder', size: 'Medium' }),
    facts([
      ['Duration', durationText(v.durationMinutes)],
      ['Addresses', ipsText(v)],
      ['Resources', resources.join(', ') || 'none'],
    ]),
  ];
  if (pending) {
    if (a) body.push(textBlock(`Answer by ${teamsDate(a.expiresAt)}`, { isSubtle: true, id: 'deadline' }));
    return card(body, [
      executeAction('Approve', VERB.approvalApprove, { sessionId: v.id }, 'positive'),
      executeAction('Deny', VERB.approvalDeny, { sessionId: v.id }, 'destructive'),
    ]);
  }
  const status = a?.status === 'PENDING' ? 'WITHDRAWN' : (a?.status ?? 'WITHDRAWN');
  const who = ctx.decider ? ` by ${ctx.decider.email}` : '';
  const when = ctx.decider?.at ? ` on ${teamsDate(ctx.decider.at)}` : '';
  const reason = a?.reason && status !== 'TIMED_OUT' ? ` – “${a.reason}”` : '';
  body.push(textBlock(`${OUTCOME[status] ?? status}${who}${when}${reason}`, { weight: 'Bolder', id: 'outcome' }));
  return card(body);
}
