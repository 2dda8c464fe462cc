import type { AdaptiveCard } from '../types.ts';

/** Version 1.5: what Microsoft requires for Universal Actions (Action.Execute) in Teams. */
export const CARD_VERSION = '1.5';

export const card = (body: unknown[], actions: unknown[] = []): AdaptiveCard => ({
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: CARD_VERSION,
  body,
  ...(actions.length ? { actions } : {}),
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
