import type { SessionView } from '../../engine/session-view.ts';
import type { StartOptions } from '../../engine/start-options.ts';
import { durationChoices } from '../../engine/plans.ts';
import { card, textBlock } from './cards/elements.ts';
import { durationText, shortId, stateBadge, teamsDate } from './format.ts';
import { teamsCode, teamsText } from './escape.ts';
import type { OutgoingMessage } from './types.ts';

export function helpReply(isAdmin: boolean, options: StartOptions): OutgoingMessage {
  const lines = [
    `**EntryGuard** opens your IP on the firewalls you may use, for a limited time. Write to me here, or @mention me in a channel:`,
    `- \`start [duration]\` – ${durationChoices(options.offeredMinutes)}; you confirm in a browser`,
    `- \`stop [id|all]\` – end a session (your only one when no id)`,
    `- \`extend [id] [hours]\` – add time (1h by default)`,
    `- \`status\` – your running sessions`,
    `- \`check [id]\` – can't connect? check your access against the firewalls right now`,
    `- \`resources\` – what a start would open, and the durations you may pick`,
  ];
  if (isAdmin) lines.push(`**Admin**`, `- \`sessions\` – every running session`, `- \`stop ID\` – stop anyone's session`, `- \`approvals here ROLE\` – in a channel: ask it to approve requests for ROLE`);
  return { text: lines.join('\n\n') };
}

export function usageReply(options: StartOptions, about: string, input: string): OutgoingMessage {
  const durations = durationChoices(options.offeredMinutes);
  const head = about === 'unknown' ? `I did not understand \`${teamsCode(input) || 'that'}\`.` : `That is not a valid \`${about}\` command: \`${teamsCode(input)}\`.`;
  return {
    text: [
      head,
      'Usage: `start [duration]`, `extend [id] [hours]`, `stop [id|all]`, `status`, `check`, `resources`, `help`',
      `Durations you may pick: ${durations} (at most ${durationText(options.maxTotalMinutes)} in total).`,
    ].join('\n\n'),
  };
}

export function resourcesReply(options: StartOptions): OutgoingMessage {
  const list = options.resources.map((r) => `- ${teamsText(r.name)} (${teamsText(r.kind)})`).join('\n') || '_none – ask an admin for a role_';
  const approval = options.needsApproval ? '\n\nA start needs an approver’s OK first.' : '';
  return { text: `A start would open:\n\n${list}\n\nDurations you may pick: ${durationChoices(options.offeredMinutes)}.${approval}` };
}

export function sessionsReply(views: SessionView[], opts: { empty: string; withOwner?: boolean }): OutgoingMessage {
  if (views.length === 0) return { text: opts.empty };
  const lines = views.slice(0, LIST_LIMIT).map((v) => {
    const until = v.expiresAt ? ` until ${teamsDate(v.expiresAt)}` : '';
    const owner = opts.withOwner ? ` – ${teamsText(v.userEmail)}` : '';
    const waiting = v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length ? ` (waiting for ${v.approval.waitingFor.map((r) => teamsText(r)).join(', ')})` : '';
    return `- \`${shortId(v.id)}\` ${stateBadge(v.state).label}${waiting}${until}${owner}`;
  });
  if (views.length > LIST_LIMIT) lines.push(`…and ${views.length - LIST_LIMIT} more.`);
  return { text: lines.join('\n') };
}

/** A list in one reply stays readable. */
const LIST_LIMIT = 25;

/** The claim link, privately (1:1): a card with a button that opens the browser. */
export function claimReply(url: string, minutes: number, expiresAt: Date): OutgoingMessage {
  const text = `Open this link in your browser to start a ${durationText(minutes)} session from the address you are on. It works once and until ${teamsDate(expiresAt)}.`;
  return {
    text: `${text} ${url}`,
    card: card([textBlock(text)], [{ type: 'Action.OpenUrl', title: 'Confirm my IP', url }]),
  };
}
