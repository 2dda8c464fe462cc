import type { ChatSessionContext } from '../../../engine/chat-session-context.ts';
import type { SessionView } from '../../../engine/session-view.ts';
import { LIVE_STATES } from '../../../engine/state-machine.ts';
import { MINUTE_MS } from '../../../shared/clock.ts';
import { teamsText } from '../escape.ts';
import { cardTime, durationText, ipsText, resourceLines, sessionName, stateBadge } from '../format.ts';
import { EXTEND_CHOICES_MINUTES, VERB, type CardKind } from '../ids.ts';
import { fitList, LIST_BUDGET_BYTES, LIST_LIMITS, nameList, TEAMS_LIMITS } from '../limits.ts';
import type { AdaptiveCard } from '../types.ts';
import { card, executeAction, facts, textBlock } from './elements.ts';

/** Extend carries the expiry it was rendered with, so a double click extends once (see extendSession). */
export const extendData = (v: Pick<SessionView, 'id' | 'expiresAt'>, minutes: number, on: CardKind) => ({ sessionId: v.id, ifExpiresAt: v.expiresAt?.getTime() ?? null, minutes, card: on });

/**
 * The Extend buttons the session's cap still allows: 1h, 2h, 4h, or — when less than an hour is
 * left to the cap — one button for what is left. None when it cannot be extended.
 */
export function extendActions(v: SessionView, on: CardKind): unknown[] {
  if (!v.canExtend || !v.expiresAt) return [];
  const left = v.capAt ? Math.floor((v.capAt.getTime() - v.expiresAt.getTime()) / MINUTE_MS) : Number.POSITIVE_INFINITY;
  const fits = EXTEND_CHOICES_MINUTES.filter((m) => m <= left);
  const choices: number[] = fits.length ? fits : left > 0 ? [left] : [];
  return choices.map((m) => executeAction(`Extend ${durationText(m)}`, VERB.sessionExtend, extendData(v, m, on)));
}

/** The session's whole length so far, extensions included (the requested length until it starts). */
export const totalMinutes = (v: Pick<SessionView, 'startedAt' | 'expiresAt' | 'durationMinutes'>): number =>
  v.startedAt && v.expiresAt ? Math.max(1, Math.round((v.expiresAt.getTime() - v.startedAt.getTime()) / MINUTE_MS)) : v.durationMinutes;

const ENDED_HOW: Record<string, string> = {
  MANUAL: 'Stopped by you',
  ADMIN: 'Stopped by an admin',
  EXPIRED: 'Its time ran out',
  APPROVAL_DENIED: 'The request was denied',
  APPROVAL_TIMEOUT: 'Nobody approved it in time',
  NOT_CONFIRMED: 'The address was not confirmed in time',
};

/**
 * The session card: state, addresses, the reason given, per-resource status with errors, the end time in the
 * reader's zone, Extend (the amounts the cap allows) / Stop while they apply. `refreshFor` lists
 * the Teams user ids whose client asks for the current card when they view it.
 */
export function sessionCard(ctx: Pick<ChatSessionContext, 'view' | 'requester'>, opts: { refreshFor?: string[]; reason?: string | undefined } = {}): AdaptiveCard {
  const v = ctx.view;
  const badge = stateBadge(v.state);
  const pairs: [string, string][] = [
    ['User', teamsText(ctx.requester.email)],
    ['Addresses', ipsText(v)],
    ['Duration', durationText(totalMinutes(v))],
  ];
  if (opts.reason) pairs.push(['Reason', teamsText(opts.reason, TEAMS_LIMITS.reason)]);
  if (v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length) pairs.push(['Waiting for', nameList(v.approval.waitingFor.map((r) => teamsText(r)), LIST_LIMITS.waitingRoles)]);
  if (v.endedReason) pairs.push(['How it ended', ENDED_HOW[v.endedReason] ?? 'Stopped']);
  const { shown, more } = fitList(resourceLines(v), LIST_LIMITS.cardResources, LIST_BUDGET_BYTES.cardResources);
  const body: unknown[] = [
    textBlock(`EntryGuard ${sessionName(v.id)}`, { weight: 'Bolder', size: 'Medium' }),
    textBlock(badge.label, { color: badge.color, weight: 'Bolder', id: 'state' }),
    facts(pairs),
  ];
  const when = timeLine(v);
  if (when) body.push(textBlock(when, { id: 'when' }));
  body.push(
    textBlock(`Resources (${new Set(v.rules.map((r) => r.resourceId)).size})`, { weight: 'Bolder', spacing: 'Medium' }),
    ...(shown.length ? shown.map((l) => textBlock(`- ${l}`, { spacing: 'None' })) : [textBlock('none', { isSubtle: true })]),
    ...(more ? [textBlock(more, { isSubtle: true, spacing: 'None' })] : []),
  );
  const actions: unknown[] = [];
  const captured = v.ipv4 ?? v.ipv6;
  if (v.state === 'AWAITING_CONFIRMATION' && captured) {
    const deadline = v.expiresAt ? ` by ${cardTime(v.expiresAt)}` : '';
    body.splice(2, 0, textBlock(`Your link was confirmed in a browser at ${captured}. **If that is you**, press **Open for ${captured}**${deadline}. If not, press **Stop**: nothing is open yet.`, { id: 'confirm' }));
    actions.push(executeAction(`Open for ${captured}`, VERB.sessionConfirm, { sessionId: v.id, card: 'session' }, 'positive'));
  }
  actions.push(...extendActions(v, 'session'));
  if (LIVE_STATES.includes(v.state)) actions.push(executeAction('Stop', VERB.sessionStop, { sessionId: v.id, card: 'session' }, 'destructive'));
  // An ended card no longer changes: no need to ask for it again.
  const refresh = LIVE_STATES.includes(v.state) || v.state === 'EXPIRING' ? { verb: VERB.cardRefresh, data: { sessionId: v.id, card: 'session' }, userIds: opts.refreshFor ?? [] } : undefined;
  return card(body, actions, refresh);
}

/** "Ends …" / "Ended …", in the reader's time zone. */
function timeLine(v: SessionView): string | undefined {
  if (v.endedAt) return `Ended ${cardTime(v.endedAt)}`;
  if (!v.expiresAt || v.state === 'AWAITING_CONFIRMATION') return undefined;
  if (v.state === 'AWAITING_APPROVAL') return undefined;
  return `Ends ${cardTime(v.expiresAt)}`;
}
