import type { AdaptiveCard } from '../types.ts';

/** Version 1.5: Universal Actions (Action.Execute, `refresh`) need 1.4 or later in Teams. */
export const CARD_VERSION = '1.5';

/**
 * Teams asks the bot for the card's current version when one of these people views it
 * (`adaptiveCard/action` with this verb, trigger "automatic"): a card someone looks at is never
 * stale even if an update was lost. Teams refreshes automatically for at most 60 listed users.
 */
export interface CardRefresh {
  verb: string;
  data: Record<string, unknown>;
  userIds: string[];
}

export const card = (body: unknown[], actions: unknown[] = [], refresh?: CardRefresh): AdaptiveCard => ({
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: CARD_VERSION,
  body,
  ...(actions.length ? { actions } : {}),
  ...(refresh && refresh.userIds.length ? { refresh: { action: { type: 'Action.Execute', verb: refresh.verb, data: refresh.data }, userIds: refresh.userIds.slice(0, 60) } } : {}),
});

export const textBlock = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text, wrap: true, ...extra });

export const facts = (pairs: [string, string][]) => ({ type: 'FactSet', facts: pairs.map(([title, value]) => ({ title, value })) });

/**
 * An Action.Execute button with an Action.Submit fallback for clients without Universal Actions;
 * the Submit arrives as a message whose value carries the verb.
 */
export function executeAction(title: string, verb: string, data: Record<string, unknown>, style?: 'positive' | 'destructive') {
  return {
    type: 'Action.Execute',
    title,
    verb,
    data,
    ...(style ? { style } : {}),
    fallback: { type: 'Action.Submit', title, data: { ...data, verb } },
  };
}

/** A short message as a card: the only way a time in it can follow the reader's time zone. */
export const notice = (text: string, actions: unknown[] = []): AdaptiveCard => card([textBlock(text)], actions);
