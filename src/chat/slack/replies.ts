import type { SessionView } from '../../engine/session-view.ts';
import { SLACK_LIMITS, slackCode, slackText } from './escape.ts';
import type { StartOptions } from '../../engine/start-options.ts';
import { ACTION, SLASH_COMMAND } from './ids.ts';
import { durationText, shortId, slackDate, stateBadge } from './format.ts';
import type { Reply } from './handler-deps.ts';
import { CHECK_LINK_TEXT } from '../shared/check-command.ts';
import { formatChoices } from '../../shared/duration.ts';

const C = SLASH_COMMAND;

/** Help names only the durations this person may pick (plan, organization and role caps applied). */
export function helpReply(isAdmin: boolean, options: Pick<StartOptions, 'offeredMinutes'>): Reply {
  const first = options.offeredMinutes[0] ? durationText(options.offeredMinutes[0]) : '1h';
  const lines = [
    `*EntryGuard* opens your IP on the firewalls you may use, for a limited time.`,
    `• \`${C} start [duration] [reason]\` – e.g. \`${C} start ${first} fixing INC-123\`; you may pick ${formatChoices(options.offeredMinutes) || 'no duration yet (ask an admin)'}; you confirm in a browser`,
    `• \`${C} stop [id|all]\` – end a session (your only one when no id)`,
    `• \`${C} extend [id] [duration]\` – add time (1h by default)`,
    `• \`${C} status\` – your running sessions`,
    `• \`${C} check [id]\` – can't connect? check your access against the firewalls right now`,
    `• \`${C} resources\` – what a start would open, and the durations you may pick`,
  ];
  if (isAdmin) {
    lines.push(`*Admin*`, `• \`${C} sessions\` – every running session`, `• \`${C} stop &lt;id&gt;\` – stop anyone's session`, `• \`${C} approvals here &lt;role&gt;\` – ask this channel to approve requests for a role`);
  }
  return { text: lines.join('\n') };
}

export function usageReply(options: StartOptions, about: string, input: string): Reply {
  const durations = formatChoices(options.offeredMinutes) || 'none';
  const head = about === 'unknown' ? `I did not understand \`${slackCode(input) || 'that'}\`.` : `That is not a valid \`${about}\` command: \`${slackCode(input)}\`.`;
  return {
    text: [
      head,
      `Usage: \`${C} start [duration]\`, \`${C} extend [id] [duration]\`, \`${C} stop [id|all]\`, \`${C} status\`, \`${C} resources\`, \`${C} help\``,
      `Durations you may pick: ${durations} (at most ${durationText(options.maxTotalMinutes)} in total).`,
    ].join('\n'),
  };
}

export function resourcesReply(options: StartOptions): Reply {
  const list = options.resources.map((r) => `• *${slackText(r.name)}* (${slackText(r.kind)})`).join('\n') || '_none – ask an admin for a role_';
  const approval = options.needsApproval ? '\nA start needs an approver’s OK first.' : '';
  return { text: `A start would open:\n${list}\nDurations you may pick: ${formatChoices(options.offeredMinutes) || 'none'}.${approval}` };
}

export function sessionsReply(views: SessionView[], opts: { empty: string; withOwner?: boolean }): Reply {
  if (views.length === 0) return { text: opts.empty };
  const lines = views.slice(0, LIST_LIMIT).map((v) => {
    const until = v.expiresAt ? ` until ${slackDate(v.expiresAt)}` : '';
    const owner = opts.withOwner ? ` – ${slackText(v.userEmail)}` : '';
    const waiting = v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length ? ` (waiting for ${v.approval.waitingFor.map((x) => slackText(x)).join(', ')})` : '';
    return `• \`${shortId(v.id)}\` ${stateBadge(v.state)}${waiting}${until}${owner}`;
  });
  if (views.length > LIST_LIMIT) lines.push(`…and ${views.length - LIST_LIMIT} more.`);
  return { text: lines.join('\n') };
}

/** A list in one reply stays readable (and within what one Slack message shows). */
const LIST_LIMIT = 25;

/** The access check link (`check`): a button to the page, private to the person. */
export function checkLinkReply(url: string, expiresAt: Date): Reply {
  const text = `${CHECK_LINK_TEXT}, until ${slackDate(expiresAt)}.`;
  return {
    text: `${text} ${url}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: [{ type: 'button', action_id: ACTION.checkOpen, text: { type: 'plain_text', text: 'Check my access' }, url }] },
    ],
  };
}

export function claimReply(url: string, minutes: number, expiresAt: Date, reason?: string): Reply {
  const why = reason ? ` (reason: “${slackText(reason, SLACK_LIMITS.reason)}”)` : '';
  const text = `Open this link in your browser to open access for ${durationText(minutes)}${why} from the address you are on. It works once and until ${slackDate(expiresAt)}.`;
  return {
    text: `${text} ${url}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: [{ type: 'button', action_id: ACTION.claimOpen, style: 'primary', text: { type: 'plain_text', text: 'Confirm my IP' }, url }] },
    ],
  };
}
