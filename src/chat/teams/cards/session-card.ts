import type { ChatSessionContext } from '../../../engine/chat-session-context.ts';
import type { SessionView } from '../../../engine/session-view.ts';
import { VERB } from '../ids.ts';
import { LIVE_STATES } from '../../../engine/state-machine.ts';
import { teamsText } from '../escape.ts';
import { durationText, ipsText, resourceLines, shortId, stateBadge, teamsDate } from '../format.ts';
import type { AdaptiveCard } from '../types.ts';
import { card, executeAction, facts, textBlock } from './elements.ts';

/** Extend carries the expiry it was rendered with, so a double click extends once (see extendSession). */
export const extendData = (v: Pick<SessionView, 'id' | 'expiresAt'>) => ({ sessionId: v.id, ifExpiresAt: v.expiresAt?.getTime() ?? null });

export const extendAction = (v: SessionView) => executeAction('Extend 1h', VERB.sessionExtend, extendData(v));

/** The session card: state, IPs, per-resource status with errors, expiry, Extend / Stop. */
export function sessionCard(ctx: Pick<ChatSessionContext, 'view' | 'requester'>): AdaptiveCard {
  const v = ctx.view;
  const badge = stateBadge(v.state);
  const pairs: [string, string][] = [
    ['User', teamsText(ctx.requester.email)],
    ['Addresses', ipsText(v)],
    ['Duration', durationText(v.durationMinutes)],
  ];
  if (v.expiresAt && v.state !== 'AWAITING_CONFIRMATION') pairs.push([v.endedAt ? 'Ended' : 'Expires', teamsDate(v.endedAt ?? v.expiresAt)]);
  if (v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length) pairs.push(['Waiting for', v.approval.waitingFor.map((r) => teamsText(r)).join(', ')]);
  if (v.endedReason) pairs.push(['Reason', v.endedReason.toLowerCase().replace(/_/g, ' ')]);
  const lines = resourceLines(v);
  const body = [
    textBlock(`EntryGuard session ${shortId(v.id)}`, { weight: 'Bolder', size: 'Medium' }),
    textBlock(badge.label, { color: badge.color, weight: 'Bolder', id: 'state' }),
    facts(pairs),
    textBlock(`Resources (${new Set(v.rules.map((r) => r.resourceId)).size})`, { weight: 'Bolder', spacing: 'Medium' }),
    ...(lines.length ? lines.map((l) => textBlock(`- ${l}`, { spacing: 'None' })) : [textBlock('none', { isSubtle: true })]),
  ];
  const actions: unknown[] = [];
  const captured = v.ipv4 ?? v.ipv6;
  if (v.state === 'AWAITING_CONFIRMATION' && captured) {
    const deadline = v.expiresAt ? ` by ${teamsDate(v.expiresAt)}` : '';
    body.splice(2, 0, textBlock(`Your link was confirmed in a browser at ${captured}. **If that is you**, press **Open for ${captured}**${deadline}. If not, press **Stop**: nothing is open yet.`, { id: 'confirm' }));
    actions.push(executeAction(`Open for ${captured}`, VERB.sessionConfirm, { sessionId: v.id }, 'positive'));
  }
  if (v.canExtend) actions.push(extendAction(v));
  if (LIVE_STATES.includes(v.state)) actions.push(executeAction('Stop', VERB.sessionStop, { sessionId: v.id }, 'destructive'));
  return card(body, actions);
}
