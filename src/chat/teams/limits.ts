/**
 * Every size limit of what we send to Teams, in one place.
 *
 * A Teams message (text + card JSON together) holds about 28 KB ("Limits and specifications for
 * Microsoft Teams"); past it the connector answers 413 and the person never sees the card. We keep
 * each card well under that with a budget of our own, and cap every piece of text before it goes
 * in: people's text, provider errors, and lists (the first few, then "…and 3 more").
 */
export const TEAMS_LIMITS = {
  /** A name (email, role, resource, kind) in a line. */
  name: 120,
  /** A reason a person typed (deny reason, session reason). */
  reason: 500,
  /** Echoed input inside a code span. */
  input: 80,
  /** A provider's error on a card line or in a reply. */
  error: 300,
  /** A whole text message. */
  message: 4000,
} as const;

/** What Teams accepts for one message, and the budget our cards stay under (JSON, UTF-8 bytes). */
export const TEAMS_MESSAGE_BYTES = 28 * 1024;
export const CARD_BUDGET_BYTES = 20 * 1024;

/** List lengths: resource lines on a session card, failures in a reply, names (resources, roles) in one line, rows of `status`. */
export const LIST_LIMITS = { cardResources: 25, failures: 10, names: 30, waitingRoles: 10, sessions: 25 } as const;

/** How much of a card's budget its long lists may take (UTF-8 bytes of their text). */
export const LIST_BUDGET_BYTES = { cardResources: 10 * 1024, failures: 6 * 1024, names: 4 * 1024, sessions: 12 * 1024 } as const;

/**
 * The first `max` items, and "…and N more" for the rest: the one way every list is cut.
 * `more` renders the tail line (a TextBlock, a markdown bullet …).
 */
export function capList<T>(items: readonly T[], max: number): { shown: T[]; more: string | undefined } {
  if (items.length <= max) return { shown: [...items], more: undefined };
  return { shown: items.slice(0, max), more: `…and ${items.length - max} more` };
}

/**
 * Like capList, and also stops before the text of the lines shown passes `budgetBytes` (UTF-8,
 * with JSON's escaping: a line of emoji or of quotes weighs more than its length says).
 */
export function fitList(items: readonly string[], max: number, budgetBytes: number): { shown: string[]; more: string | undefined } {
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(JSON.stringify(item));
    if (shown.length >= max || used + bytes > budgetBytes) break;
    shown.push(item);
    used += bytes;
  }
  return { shown, more: shown.length < items.length ? `…and ${items.length - shown.length} more` : undefined };
}

/** Names in one line ("a, b, c …and 3 more"), within the names budget. */
export function nameList(names: readonly string[], max: number = LIST_LIMITS.names): string {
  const { shown, more } = fitList(names, max, LIST_BUDGET_BYTES.names);
  return `${shown.join(', ')}${more ? ` ${more}` : ''}`;
}
