import type { StartOptions } from '../../../engine/start-options.ts';
import { teamsText } from '../escape.ts';
import { durationText } from '../format.ts';
import { VERB } from '../ids.ts';
import { nameList, TEAMS_LIMITS } from '../limits.ts';
import type { AdaptiveCard } from '../types.ts';
import { card, executeAction, textBlock } from './elements.ts';

/** The form's input ids: Teams merges their values into the Start button's data. */
export const FORM_INPUT = { duration: 'duration', reason: 'reason' } as const;

/**
 * `start` without a duration: the durations this person may pick (plan, organization and role caps
 * applied), what will open, and a reason. Start answers with the claim link in place of the form.
 */
export function startForm(options: StartOptions, defaultMinutes?: number): AdaptiveCard {
  const offered = options.offeredMinutes;
  const chosen = defaultMinutes !== undefined && offered.includes(defaultMinutes) ? defaultMinutes : offered[0];
  const body: unknown[] = [
    textBlock('Start an EntryGuard session', { weight: 'Bolder', size: 'Medium' }),
    textBlock(`Opens your address on: ${nameList(options.resources.map((r) => `${teamsText(r.name)} (${teamsText(r.kind)})`)) || 'nothing yet – ask an admin for a role'}`, { id: 'resources' }),
  ];
  if (options.needsApproval) body.push(textBlock('An approver must agree before anything opens.', { isSubtle: true }));
  if (offered.length === 0) {
    body.push(textBlock('No duration is offered to you. Ask an admin.', { color: 'Attention' }));
    return card(body);
  }
  body.push(
    {
      type: 'Input.ChoiceSet',
      id: FORM_INPUT.duration,
      label: 'For how long',
      style: 'compact',
      isRequired: true,
      errorMessage: 'Choose how long',
      value: String(chosen),
      choices: offered.map((m) => ({ title: durationText(m), value: String(m) })),
    },
    {
      type: 'Input.Text',
      id: FORM_INPUT.reason,
      label: 'Reason (optional)',
      placeholder: 'What is it for? e.g. fixing INC-123',
      maxLength: TEAMS_LIMITS.reason,
    },
  );
  return card(body, [executeAction('Start', VERB.sessionStart, { card: 'form' }, 'positive')]);
}

/** Under the welcome text (1:1, group chat or team): the three things to do first. */
export function welcomeCard(): AdaptiveCard {
  return card(
    [textBlock('Get started:', { weight: 'Bolder' })],
    [executeAction('Start', VERB.startForm, { card: 'welcome' }, 'positive'), executeAction('Status', VERB.showStatus, { card: 'welcome' }), executeAction('Help', VERB.showHelp, { card: 'welcome' })],
  );
}
