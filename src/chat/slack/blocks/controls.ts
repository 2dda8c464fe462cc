import type { types } from '@slack/bolt';
import type { SessionView } from '../../../engine/session-view.ts';
import { MINUTE_MS } from '../../../shared/clock.ts';
import { ACTION } from '../ids.ts';
import { durationText, ipsText, shortId } from '../format.ts';
import { fit } from './limits.ts';

/** What Extend offers (issue 11, point 4), each only while it fits under the session's cap. */
export const EXTEND_CHOICES_MINUTES = [60, 120, 240] as const;

/**
 * Extend carries the expiry it was rendered with, so a double click extends once (see
 * extendSession), and the amount chosen (absent on cards from before the choice: one hour).
 */
export const extendValue = (v: Pick<SessionView, 'id' | 'expiresAt'>, minutes?: number): string => `${v.id}|${v.expiresAt?.getTime() ?? ''}${minutes ? `|${minutes}` : ''}`;

export function parseExtendValue(value: string): { sessionId: string; ifExpiresAt: Date | undefined; minutes: number | undefined } {
  const [sessionId = '', ms = '', minutes = ''] = value.split('|');
  return { sessionId, ifExpiresAt: /^\d+$/.test(ms) ? new Date(Number(ms)) : undefined, minutes: /^\d+$/.test(minutes) ? Number(minutes) : undefined };
}

/** The amounts Extend offers now: 1h, 2h, 4h up to the cap, or just what is left when less than an hour is. */
export function extendChoices(v: Pick<SessionView, 'expiresAt' | 'capAt'>): number[] {
  if (!v.expiresAt || !v.capAt) return [];
  const left = Math.floor((v.capAt.getTime() - v.expiresAt.getTime()) / MINUTE_MS);
  const fits = EXTEND_CHOICES_MINUTES.filter((m) => m <= left);
  return fits.length ? fits : left > 0 ? [left] : [];
}

export function extendButton(v: SessionView, minutes: number = extendChoices(v)[0] ?? 60): types.Button {
  return { type: 'button', action_id: ACTION.sessionExtend, text: { type: 'plain_text', text: `Extend ${durationText(minutes)}` }, value: extendValue(v, minutes) };
}

/** One button when one amount fits, else a menu of the amounts (the chosen one is the click). */
export function extendControl(v: SessionView): types.Button | types.StaticSelect | undefined {
  const choices = extendChoices(v);
  if (choices.length === 0) return undefined;
  if (choices.length === 1) return extendButton(v, choices[0]);
  return {
    type: 'static_select',
    action_id: ACTION.sessionExtendBy,
    placeholder: { type: 'plain_text', text: 'Extend by…' },
    options: choices.map((m) => ({ text: { type: 'plain_text', text: `Extend ${durationText(m)}` }, value: extendValue(v, m) })),
  };
}

/** Stop asks first: closing access by a slip of the mouse would cut someone off mid-work. */
export function stopButton(v: SessionView): types.Button {
  const resources = new Set(v.rules.map((r) => r.resourceId)).size;
  const opened = v.state === 'AWAITING_APPROVAL' || v.state === 'AWAITING_CONFIRMATION' ? 'The request is withdrawn; nothing is open yet.' : `Access from ${ipsText(v)} to ${resources} resource${resources === 1 ? '' : 's'} is closed now.`;
  return {
    type: 'button',
    action_id: ACTION.sessionStop,
    style: 'danger',
    text: { type: 'plain_text', text: 'Stop' },
    value: v.id,
    confirm: {
      title: { type: 'plain_text', text: `Stop session ${shortId(v.id)}?` },
      text: { type: 'mrkdwn', text: fit(opened, 300) },
      confirm: { type: 'plain_text', text: 'Stop' },
      deny: { type: 'plain_text', text: 'Keep it' },
      style: 'danger',
    },
  };
}

