/**
 * The one place text from people (and from config files and providers) is made safe for Teams.
 *
 * Teams renders message text and Adaptive Card TextBlocks (and FactSet values) as a CommonMark
 * subset: **bold**, _italic_, lists and [label](url) links; HTML is not rendered in cards but
 * `<at>` and tags in messages are interpreted. So every character CommonMark gives a meaning
 * inside a line is backslash-escaped (CommonMark's own escape, which the card renderers honour;
 * `{` too, so a value cannot form a `{{DATE(…)}}` card function), block markers are escaped at
 * the start, and line breaks become spaces so a value cannot start a list or a new block. Inside
 * an inline code span backslashes are literal, so there only backticks are replaced. Every piece
 * is capped in length first. (Slack's rules differ: see chat/slack/escape.ts.)
 */

import { capText } from '../../shared/text.ts';
import { TEAMS_LIMITS } from './limits.ts';

export { TEAMS_LIMITS };

/** Cuts `s` to at most `max` characters, ending in … when cut. */
export const cap = capText;

/** Characters with a meaning anywhere in a line (emphasis, code, links, images, tags, card functions). */
const INLINE_MARKUP = /[\\`*_{}[\]()<>|~!]/g;
/** …and at the start of a block (headings, lists, quotes, ordered lists): escaped only there. */
const BLOCK_START = /^(\s*)(\d*)([#+\-=]|(?<=\d)[.)])/;

/** Text from a person, for a TextBlock, FactSet value or message text: capped, one line, escaped. */
export const teamsText = (s: string, max: number = TEAMS_LIMITS.name): string =>
  cap(s, max)
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    .replace(INLINE_MARKUP, (c) => `\\${c}`)
    .replace(BLOCK_START, (_m, space: string, digits: string, mark: string) => `${space}${digits}\\${mark}`);

/** Text from a person placed inside `…` (an inline code span): capped, one line, no backtick. */
export const teamsCode = (s: string, max: number = TEAMS_LIMITS.input): string => cap(s.replace(/`/g, 'ˋ').replace(/[\r\n\t\u2028\u2029]+/g, ' '), max);

/** A whole message, capped. */
export const teamsMessage = (s: string, max: number = TEAMS_LIMITS.message): string => cap(s, max);
