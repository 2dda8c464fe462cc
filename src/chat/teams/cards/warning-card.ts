import type { SessionView } from '../../../engine/session-view.ts';
import { isLive } from '../../../engine/state-machine.ts';
import { cardTime, sessionName } from '../format.ts';
import type { AdaptiveCard } from '../types.ts';
import { notice } from './elements.ts';
import { extendActions } from './session-card.ts';

/**
 * The "ends in about 10 minutes" message for the expiry `warnedFor`, as it should read now.
 * While that expiry stands it offers Extend; once extended it says until when (the next warning
 * is a new message), and once ended it says so — it never keeps buttons that no longer apply,
 * and never turns into a copy of the session card.
 */
export function warningCard(v: SessionView, warnedFor: Date): AdaptiveCard {
  const name = sessionName(v.id);
  if (!isLive(v.state) || !v.expiresAt) return notice(`⚪ Your EntryGuard ${name} has ended.`);
  if (v.expiresAt.getTime() !== warnedFor.getTime()) return notice(`✅ Your EntryGuard ${name} was extended: it now ends ${cardTime(v.expiresAt)}.`);
  return notice(`⏳ Your EntryGuard ${name} ends ${cardTime(v.expiresAt)} (in about 10 minutes).`, extendActions(v, 'warning'));
}
