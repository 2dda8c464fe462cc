import type { SessionView } from '../../engine/session-view.ts';
import { formatMinutes } from '../../shared/duration.ts';
import { TEAMS_LIMITS, teamsText } from './escape.ts';

type SessionState = SessionView['state'];

/** State labels with the product's colours as Adaptive Card text colours (docs/architecture.md §2). */
const BADGE: Record<SessionState, { label: string; color: 'Accent' | 'Good' | 'Warning' | 'Attention' | 'Default' }> = {
  AWAITING_CONFIRMATION: { label: 'Waiting for you to confirm the address', color: 'Accent' },
  AWAITING_APPROVAL: { label: 'Awaiting approval', color: 'Accent' },
  PENDING: { label: 'Pending', color: 'Accent' },
  ACTIVE: { label: 'Active', color: 'Good' },
  PARTIAL: { label: 'Partial', color: 'Warning' },
  FAILED: { label: 'Failed', color: 'Attention' },
  EXPIRING: { label: 'Ending', color: 'Warning' },
  EXPIRED: { label: 'Expired', color: 'Default' },
  CANCELLED: { label: 'Cancelled', color: 'Default' },
  DENIED: { label: 'Denied', color: 'Default' },
};

export const stateBadge = (s: SessionState) => BADGE[s];

/** The id people type: the first 8 characters. */
export const shortId = (id: string): string => id.slice(0, 8);

/** UTC, unambiguous in any client (Adaptive Card date functions need a reader's locale we do not know here). */
export const teamsDate = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export const durationText = formatMinutes;

export function ipsText(v: Pick<SessionView, 'ipv4' | 'ipv6'>): string {
  const parts = [v.ipv4 && `IPv4 ${v.ipv4}`, v.ipv6 && `IPv6 ${v.ipv6}`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no address yet';
}

/** One line per resource: its name, and per IP version the rule's state and error. */
export function resourceLines(v: Pick<SessionView, 'rules'>): string[] {
  const byResource = new Map<string, { name: string; kind: string; parts: string[] }>();
  for (const r of v.rules) {
    const entry = byResource.get(r.resourceId) ?? { name: r.resourceName, kind: r.kind, parts: [] };
    entry.parts.push(`v${r.ipVersion} ${r.state.toLowerCase()}${r.error ? ` – ${teamsText(r.error, TEAMS_LIMITS.error)}` : ''}`);
    byResource.set(r.resourceId, entry);
  }
  return [...byResource.values()].map((e) => `${teamsText(e.name)} (${teamsText(e.kind)}): ${e.parts.join('; ')}`);
}

/** Why some rules failed, for PARTIAL / FAILED replies. */
export function failureReasons(v: Pick<SessionView, 'rules'>): string[] {
  return v.rules.filter((r) => r.state === 'FAILED').map((r) => `- ${teamsText(r.resourceName)} (IPv${r.ipVersion}): ${teamsText(r.error ?? 'failed', TEAMS_LIMITS.error)}`);
}
