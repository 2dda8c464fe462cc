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

/** One line per resource: its name, and per IP version the rule's state and error. */
export function resourceLines(v: Pick<SessionView, 'rules'>): string[] {
  const byResource = new Map<string, { name: string; kind: string; parts: string[] }>();
  for (const r of v.rules) {
    const entry = byResource.get(r.resourceId) ?? { name: r.resourceName, kind: r.kind, parts: [] };
    entry.parts.push(`v${r.ipVersion} ${r.state.toLowerCase()}${r.error ? ` – ${slackText(r.error, SLACK_LIMITS.error)}` : ''}`);
    byResource.set(r.resourceId, entry);
  }
  return [...byResource.values()].map((e) => `• *${slackText(e.name)}* (${slackText(e.kind)}): ${e.parts.join('; ')}`);
}

/** Why some rules failed, for PARTIAL / FAILED thread replies. */
export function failureReasons(v: Pick<SessionView, 'rules'>): string[] {
  return v.rules.filter((r) => r.state === 'FAILED').map((r) => `• *${slackText(r.resourceName)}* (IPv${r.ipVersion}): ${slackText(r.error ?? 'failed', SLACK_LIMITS.error)}`);
}
