import { DEFAULT_EXTEND_MINUTES } from '../../engine/extend-session.ts';

/**
 * Every id Teams knows us by, defined once: the manifest test (test/chat/teams/manifest.test.ts)
 * checks manifests/teams/manifest.json against these, so renaming one here fails loudly.
 */

/** Where the Bot Framework channel POSTs activities (the bot's messaging endpoint). */
export const MESSAGES_PATH = '/api/messages';

/** Action.Execute verbs: stable dotted strings; cards already posted keep working across releases. */
export const VERB = {
  sessionExtend: 'session.extend',
  sessionStop: 'session.stop',
  /** "Open for <address>" (claim.confirmInChat): the requester opens what their browser captured. */
  sessionConfirm: 'session.confirm',
  approvalApprove: 'approval.approve',
  approvalDeny: 'approval.deny',
  /** The start form's Start button (duration and reason come as its inputs). */
  sessionStart: 'session.start',
  /** Start / Status / Help on the welcome card (and "Start again" on an expired link). */
  startForm: 'start.form',
  showStatus: 'show.status',
  showHelp: 'show.help',
  /** The card's `refresh`: Teams asks for the current version when its owner views it. */
  cardRefresh: 'card.refresh',
} as const;

export type Verb = (typeof VERB)[keyof typeof VERB];

/** The command menu (manifest commandLists): what people can type to the bot. */
export const COMMANDS = [
  { title: 'start', description: 'start [duration] [reason] – e.g. start 2h fixing INC-123, or start for a form' },
  { title: 'stop', description: 'stop [id|all] – end a session' },
  { title: 'extend', description: 'extend [id] [hours] – add time (1h by default)' },
  { title: 'status', description: 'Your running sessions' },
  { title: 'resources', description: 'What a start would open, and the durations you may pick' },
  { title: 'help', description: 'What EntryGuard can do' },
  { title: 'sessions', description: 'Admin: every running session in the organization' },
  { title: 'approvals', description: 'Admin: approvals here <role> – ask this channel to approve a role' },
] as const;

/** How much the Extend buttons offer (those the session's cap still allows). */
export const EXTEND_CHOICES_MINUTES = [DEFAULT_EXTEND_MINUTES, 120, 240] as const;

/**
 * Which card a button sits on: the click is answered with the new version of *that* card (a
 * warning stays a warning), never with a different one.
 */
export const CARD_KIND = ['session', 'warning', 'claim', 'approval', 'form', 'welcome'] as const;
export type CardKind = (typeof CARD_KIND)[number];
