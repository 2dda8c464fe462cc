import { cardTime, durationText, sessionName } from '../format.ts';
import { VERB } from '../ids.ts';
import type { AdaptiveCard } from '../types.ts';
import { card, executeAction, notice, textBlock } from './elements.ts';

/** A claim link as its card shows it: still open, used (by which session), or expired unused. */
export type ClaimCardState =
  | { status: 'valid'; url: string; token: string; minutes: number; expiresAt: Date; userId: string }
  | { status: 'used'; sessionId: string | null }
  | { status: 'expired' };

/**
 * The claim link, privately (1:1). While valid it has the button that opens the browser, and
 * asks Teams to refresh it when its owner views it (so an expired link says so without a job
 * watching it); once used or expired it says which, with no link left to press.
 */
export function claimCard(s: ClaimCardState): AdaptiveCard {
  if (s.status === 'used') return notice(`✅ This link was used: ${s.sessionId ? `EntryGuard ${sessionName(s.sessionId)}` : 'your session'} started. Its card shows how it goes.`);
  if (s.status === 'expired') return notice('⌛ This link expired before it was used. Nothing was opened.', [executeAction('Start again', VERB.startForm, { card: 'claim' })]);
  const text = `Open this link in your browser to start a ${durationText(s.minutes)} session from the address you are on. It works once, until ${cardTime(s.expiresAt)}.`;
  return card([textBlock(text)], [{ type: 'Action.OpenUrl', title: 'Confirm my IP', url: s.url }], { verb: VERB.cardRefresh, data: { card: 'claim', claim: s.token }, userIds: [s.userId] });
}
