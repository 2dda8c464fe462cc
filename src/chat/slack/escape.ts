/**
 * The one place text from people (and from config files and providers) is made safe for Slack.
 *
 * Slack's mrkdwn turns `<…>` into links, mentions and broadcasts (`<!channel>`,
 * `<https://x|label>`, `<@U123>`) and `&` starts an entity, so those three characters are
 * escaped as Slack documents (&amp; &lt; &gt;). Slack has no escape for the emphasis characters,
 * so text placed inside an inline code span has its backticks replaced (else it could close the
 * span and format what follows). Every piece is capped in length first, so no one can make a
 * reply huge by typing a long command or deny reason.
 */

import { capText } from '../../shared/text.ts';

/** Caps (characters) for each kind of text from people; a message as a whole is capped too. */
export const SLACK_LIMITS = { name: 120, reason: 500, input: 80, error: 500, message: 3000 } as const;

/** Cuts `s` to at most `max` characters, ending in … when cut. */
export const cap = capText;

/** Escapes the three characters Slack's mrkdwn treats as markup (no cap: for text we wrote). */
export const escapeMrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Text from a person, for mrkdwn: capped, then escaped. */
export const slackText = (s: string, max: number = SLACK_LIMITS.name): string => escapeMrkdwn(cap(s, max));

/** Text from a person for inside `…`, not yet escaped (an error message that is escaped as a whole
 *  later): capped, one line, and no backtick to close the code span early. */
export const codeSafe = (s: string, max: number = SLACK_LIMITS.input): string => cap(s.replace(/`/g, 'ˋ').replace(/[\r\n]+/g, ' '), max);

/** Text from a person placed inside `…` (an inline code span), escaped. */
export const slackCode = (s: string, max: number = SLACK_LIMITS.input): string => escapeMrkdwn(codeSafe(s, max));

/** A whole message (our text plus escaped pieces), capped at what one Slack section holds. */
export const slackMessage = (s: string, max: number = SLACK_LIMITS.message): string => cap(s, max);
