import { DEFAULT_EXTEND_MINUTES } from '../../engine/extend-session.ts';

/**
 * Every id Slack knows us by, defined once: the manifest test (test/chat/slack/manifest.test.ts)
 * checks manifests/slack/manifest.yaml against these, so renaming one here fails loudly.
 */
export const SLASH_COMMAND = '/entryguard';

/** Where Slack POSTs slash commands and interactivity payloads (the manifest's request URLs). */
export const EVENTS_PATH = '/slack/events';

/** Button action ids: stable dotted strings; cards already posted keep working across releases. */
export const ACTION = {
  sessionExtend: 'session.extend',
  /** The Extend menu (1h / 2h / 4h within the cap): the option's value says how much. */
  sessionExtendBy: 'session.extend_by',
  sessionStop: 'session.stop',
  /** "Open for <address>" (claim.confirmInChat): the requester opens what their browser captured. */
  sessionConfirm: 'session.confirm',
  approvalApprove: 'approval.approve',
  approvalDeny: 'approval.deny',
  /** The claim link button: Slack opens the URL and also sends us a payload, which we only ack. */
  claimOpen: 'claim.open',
  /** The access check link button: as claimOpen, only acked. */
  checkOpen: 'check.open',
} as const;

export type ActionId = (typeof ACTION)[keyof typeof ACTION];

/** The bot scopes the code relies on (commands, posting, DMs, email lookup). */
export const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'im:write', 'users:read', 'users:read.email'] as const;

/** How much one Extend button click adds. */
export const EXTEND_BUTTON_MINUTES = DEFAULT_EXTEND_MINUTES;
