import type { types } from '@slack/bolt';
import { capText } from '../../../shared/text.ts';

/**
 * Block Kit's limits (api.slack.com/reference/block-kit), in one place. Slack refuses a whole
 * message or view with `invalid_blocks` when one piece is over, so every builder fits its text
 * through the helpers below rather than cutting on its own.
 */
export const BLOCK_KIT = {
  /** A section's (or context element's) text. */
  sectionText: 3000,
  /** Each of a section's fields, and how many. */
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 150,
  contextElements: 10,
  actionsElements: 25,
  /** Blocks in one message; a modal or the Home tab holds 100. */
  messageBlocks: 50,
  viewBlocks: 100,
  /** A modal's title, submit and close labels. */
  viewTitle: 24,
  inputLabel: 2000,
  placeholder: 150,
  /** The notification / fallback `text` of a message: Slack truncates past 40,000; we keep it short. */
  messageText: 3000,
} as const;

/** `text` cut to `max` characters, ending in … when cut. */
export const fit = (text: string, max: number): string => capText(text, max);

/**
 * `head` and as many of `lines` as fit in `max` characters, then "…and N more" for the rest: a
 * list of 60 resources or six long errors becomes one valid section rather than a refused message.
 * A single line longer than the room left is cut itself.
 */
export function fitList(head: string, lines: readonly string[], max: number = BLOCK_KIT.sectionText): string {
  let out = head;
  for (let i = 0; i < lines.length; i++) {
    const rest = lines.length - i - 1;
    const more = rest ? `\n…and ${rest} more` : '';
    const line = `${out ? '\n' : ''}${lines[i]}`;
    if (out.length + line.length + more.length <= max) {
      out += line;
      continue;
    }
    const tail = `\n…and ${lines.length - i} more`;
    // Room for a cut version of this line: better than nothing when one error is huge.
    const room = max - out.length - tail.length - 1;
    if (i === 0 && room > 40) return `${out}\n${capText(lines[i]!, room)}${rest ? `\n…and ${rest} more` : ''}`;
    return fit(`${out}${tail}`, max);
  }
  return fit(out, max);
}

export const mrkdwn = (text: string, max: number = BLOCK_KIT.sectionText): types.MrkdwnElement => ({ type: 'mrkdwn', text: fit(text, max) });

export const plain = (text: string, max: number): types.PlainTextElement => ({ type: 'plain_text', text: fit(text, max), emoji: true });

/** A section of mrkdwn, capped. */
export const section = (text: string, blockId?: string): types.SectionBlock => ({ type: 'section', ...(blockId ? { block_id: blockId } : {}), text: mrkdwn(text) });

/** A section of fields: at most ten, each capped. */
export const fieldsSection = (fields: string[], blockId?: string): types.SectionBlock => ({
  type: 'section',
  ...(blockId ? { block_id: blockId } : {}),
  fields: fields.slice(0, BLOCK_KIT.fields).map((f) => mrkdwn(f, BLOCK_KIT.fieldText)),
});

/** A context block: at most ten elements, each capped. */
export const context = (texts: string[], blockId?: string): types.ContextBlock => ({
  type: 'context',
  ...(blockId ? { block_id: blockId } : {}),
  elements: texts.slice(0, BLOCK_KIT.contextElements).map((t) => mrkdwn(t)),
});

export const header = (text: string): types.HeaderBlock => ({ type: 'header', text: plain(text, BLOCK_KIT.headerText) });

/**
 * At most `max` blocks: when over, the middle is dropped for one context line saying so, keeping
 * the first blocks (what it is) and the last (its buttons).
 */
export function fitBlocks<T extends types.KnownBlock>(blocks: T[], max: number = BLOCK_KIT.messageBlocks, keepLast = 1): (T | types.ContextBlock)[] {
  if (blocks.length <= max) return blocks;
  const tail = blocks.slice(blocks.length - keepLast);
  const head = blocks.slice(0, max - keepLast - 1);
  const dropped = blocks.length - head.length - tail.length;
  return [...head, context([`…and ${dropped} more not shown`]), ...tail];
}
