import type { SessionView } from '../../engine/session-view.ts';
import type { StartOptions } from '../../engine/start-options.ts';
import { durationChoices } from '../../engine/plans.ts';
import { card, textBlock } from './cards/elements.ts';
import { cardTime, durationText, shortId, stateBadge } from './format.ts';
import { teamsCode, teamsText } from './escape.ts';
import { fitList, LIST_BUDGET_BYTES, LIST_LIMITS, nameList } from './limits.ts';
import type { OutgoingMessage } from './types.ts';

export function helpReply(isAdmin: boolean, options: StartOptions): OutgoingMessage {
  const lines = [
    `**EntryGuard** opens your IP on the firewalls you may use, for a limited time. Write to me here, or @mention me in a channel (I answer you privately):`,
    `- \`start\` – a form: how long, and what it is for; or \`start 2h fixing INC-123\` (${durationChoices(options.offeredMinutes)}). You confirm your address in a browser`,
    `- \`stop [id|all]\` – end a session (your only one when no id)`,
    `- \`extend [id] [hours]\` – add time (1h by default), or press Extend on the session's card`,
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
      'Usage: `start [duration] [reason]`, `extend [id] [hours]`, `stop [id|all]`, `status`, `check`, `resources`, `help`',
      `Durations you may pick: ${durations} (at most ${durationText(options.maxTotalMinutes)} in total).`,
    ].join('\n\n'),
  };
}

export function resourcesReply(options: StartOptions): OutgoingMessage {
  const { shown, more } = fitList(options.resources.map((r) => `- ${teamsText(r.name)} (${teamsText(r.kind)})`), LIST_LIMITS.names, LIST_BUDGET_BYTES.names);
  const list = [...shown, ...(more ? [more] : [])].join('\n') || '_none – ask an admin for a role_';
  const approval = options.needsApproval ? '\n\nA start needs an approver’s OK first.' : '';
  return { text: `A start would open:\n\n${list}\n\nDurations you may pick: ${durationChoices(options.offeredMinutes)}.${approval}` };
}

/** Running sessions, one line each, as a card so their end times show in the reader's time zone. */
export function sessionsReply(views: SessionView[], opts: { empty: string; withOwner?: boolean }): OutgoingMessage {
  if (views.length === 0) return { text: opts.empty };
  const all = views.map((v) => {
    const until = v.expiresAt && v.state !== 'AWAITING_CONFIRMATION' && v.state !== 'AWAITING_APPROVAL' ? ` – until ${cardTime(v.expiresAt)}` : '';
    const owner = opts.withOwner ? ` – ${teamsText(v.userEmail)}` : '';
    const waiting = v.state === 'AWAITING_APPROVAL' && v.approval?.waitingFor.length ? ` (waiting for ${nameList(v.approval.waitingFor.map((r) => teamsText(r)), 3)})` : '';
    return `**${shortId(v.id)}** ${stateBadge(v.state).label}${waiting}${until}${owner}`;
  });
  const { shown, more } = fitList(all, LIST_LIMITS.sessions, LIST_BUDGET_BYTES.sessions);
  const lines = shown.map((l) => textBlock(l, { spacing: 'Small' }));
  return { card: card([...lines, ...(more ? [textBlock(more, { isSubtle: true })] : [])]) };
}
