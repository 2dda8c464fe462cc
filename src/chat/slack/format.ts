import type { SessionView } from '../../engine/session-view.ts';
import { formatMinutes } from '../../shared/duration.ts';
import { SLACK_LIMITS, slackText } from './escape.ts';

type SessionState = SessionView['state'];

/** The product's state colours as Slack emoji (docs/architecture.md §2: PENDING blue, ACTIVE green …). */
const BADGE: Record<SessionState, string> = {
  AWAITING_CONFIRMATION: ':large_purple_circle: Waiting for you to confirm the address',
  AWAITING_APPROVAL: ':large_purple_circle: Awaiting approval',
  PENDING: ':large_blue_circle: Pending',
  ACTIVE: ':large_green_circle: Active',
  PARTIAL: ':large_orange_circle: Partial',
  FAILED: ':red_circle: Failed',
  EXPIRING: ':large_yellow_circle: Ending',
  EXPIRED: ':white_circle: Expired',
  CANCELLED: ':white_circle: Cancelled',
  DENIED: ':white_circle: Denied',
};

export const stateBadge = (s: SessionState): string => BADGE[s];

/** The id people type: the first 8 characters are unique enough within one user's sessions. */
export const shortId = (id: string): string => id.slice(0, 8);

/** Slack renders this in the reader's own time zone; the fallback is for notifications. */
export function slackDate(d: Date): string {
  const iso = d.toISOString().replace(/\.\d+Z$/, 'Z');
  return `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

export const durationText = formatMinutes;

/** Text mentioning a person by Slack id when known (and shaped like one), else by email. */
export const mention = (p: { email: string; chatId: string | undefined }): string =>
  p.chatId && /^[UW][A-Z0-9]{2,20}$/.test(p.chatId) ? `<@${p.chatId}>` : slackText(p.email);

export function ipsText(v: Pick<SessionView, 'ipv4' | 'ipv6'>): string {
  const parts = [v.ipv4 && `IPv4 \`${v.ipv4}\``, v.ipv6 && `IPv6 \`${v.ipv6}\``].filter(Boolean);
  return parts.length ? parts.join('  ') : '_no address yet_';
}

/** What a rule's state means to a person (never the internal APPLIED / REMOVING …). */
function ruleWords(state: string, opened: boolean): string {
  switch (state) {
    case 'PENDING':
      return 'opening…';
    case 'APPLIED':
      return 'open';
    case 'FAILED':
      return 'failed';
    case 'REMOVING':
      return opened ? 'closing…' : 'not opened';
    default:
      return opened ? 'closed' : 'not opened';
  }
}

/**
 * One line per resource: its name, and its state in words (per address family only when they
 * differ); a failure carries its error. A session that never opened (denied, withdrawn) says
 * "not opened", never "closed".
 */
export function resourceLines(v: Pick<SessionView, 'rules' | 'startedAt'>): string[] {
  const byResource = new Map<string, { name: string; kind: string; parts: { family: string; words: string; error: string | null }[] }>();
  for (const r of v.rules) {
    const entry = byResource.get(r.resourceId) ?? { name: r.resourceName, kind: r.kind, parts: [] };
    entry.parts.push({ family: `IPv${r.ipVersion}`, words: ruleWords(r.state, v.startedAt !== null), error: r.error });
    byResource.set(r.resourceId, entry);
  }
  return [...byResource.values()].map((e) => {
    const same = e.parts.every((p) => p.words === e.parts[0]!.words && !p.error);
    const status = same ? e.parts[0]!.words : e.parts.map((p) => `${p.family} ${p.words}${p.error ? ` – ${slackText(p.error, SLACK_LIMITS.error)}` : ''}`).join('; ');
    return `• *${slackText(e.name)}* (${slackText(e.kind)}): ${status}`;
  });
}

/** Why some rules failed, for PARTIAL / FAILED thread replies. */
export function failureReasons(v: Pick<SessionView, 'rules'>): string[] {
  return v.rules.filter((r) => r.state === 'FAILED').map((r) => `• *${slackText(r.resourceName)}* (IPv${r.ipVersion}): ${slackText(r.error ?? 'failed', SLACK_LIMITS.error)}`);
}

/** Why a session ended, in words. */
export function endedWhy(reason: string | null): string {
  switch (reason) {
    case 'EXPIRED':
      return 'its time ran out';
    case 'ADMIN':
      return 'an admin stopped it';
    case 'MANUAL':
      return 'it was stopped';
    case 'APPROVAL_DENIED':
      return 'the request was denied';
    case 'APPROVAL_TIMEOUT':
      return 'nobody approved it in time';
    case 'NOT_CONFIRMED':
      return 'the address was not confirmed in time';
    default:
      return 'it ended';
  }
}

/** How people name a session in a message: its short id and, when given, its reason. */
export function sessionName(v: Pick<SessionView, 'id' | 'reason'>): string {
  return `\`${shortId(v.id)}\`${v.reason ? ` (“${slackText(v.reason, SLACK_LIMITS.reason)}”)` : ''}`;
}
