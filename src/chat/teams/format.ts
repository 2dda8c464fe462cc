import type { SessionView } from '../../engine/session-view.ts';
import { formatMinutes } from '../../shared/duration.ts';
import { teamsText } from './escape.ts';
import { TEAMS_LIMITS } from './limits.ts';

type SessionState = SessionView['state'];

/** State labels with the product's colours as Adaptive Card text colours (docs/architecture.md §2). */
const BADGE: Record<SessionState, { label: string; color: 'Accent' | 'Good' | 'Warning' | 'Attention' | 'Default' }> = {
  AWAITING_CONFIRMATION: { label: 'Waiting for you to confirm the address', color: 'Accent' },
  AWAITING_APPROVAL: { label: 'Awaiting approval', color: 'Accent' },
  PENDING: { label: 'Opening', color: 'Accent' },
  ACTIVE: { label: 'Active', color: 'Good' },
  PARTIAL: { label: 'Partly open', color: 'Warning' },
  FAILED: { label: 'Failed', color: 'Attention' },
  EXPIRING: { label: 'Ending', color: 'Warning' },
  EXPIRED: { label: 'Expired', color: 'Default' },
  CANCELLED: { label: 'Stopped', color: 'Default' },
  DENIED: { label: 'Denied', color: 'Default' },
};

export const stateBadge = (s: SessionState) => BADGE[s];

/** The id people type: the first 8 characters. */
export const shortId = (id: string): string => id.slice(0, 8);

/** A session as people name it: "session 1a2b3c4d". */
export const sessionName = (id: string): string => `session ${shortId(id)}`;

/**
 * UTC, for plain message text: Teams evaluates date functions only inside Adaptive Cards, so a
 * time in a text message cannot follow the reader's zone. Every time we can, we use cardTime.
 */
export const teamsDate = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * A time for an Adaptive Card TextBlock, shown by the client in the reader's own time zone and
 * locale ({{DATE()}} / {{TIME()}}, which take RFC 3339 without fractions). Only our own dates go
 * through here: people's text is escaped ({ → \{), so it can never form a function.
 */
export function cardTime(d: Date): string {
  const iso = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{{DATE(${iso}, SHORT)}} {{TIME(${iso})}}`;
}

export const durationText = formatMinutes;

export function ipsText(v: Pick<SessionView, 'ipv4' | 'ipv6'>): string {
  const parts = [v.ipv4, v.ipv6].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no address yet';
}

/** What a rule's state means to the person (never the database word). */
const RULE_WORDS: Record<string, string> = { PENDING: 'opening', APPLIED: 'open', FAILED: 'failed', REMOVING: 'closing', REMOVED: 'closed' };

/**
 * One line per resource: its name, and per address family whether it is open (with the error
 * when it failed). Before anything was opened (waiting, denied) only the names: nothing was
 * ever open there, so "closed" would mislead.
 */
export function resourceLines(v: Pick<SessionView, 'rules' | 'state' | 'startedAt'>): string[] {
  const opened = !['AWAITING_CONFIRMATION', 'AWAITING_APPROVAL', 'DENIED'].includes(v.state) && (v.startedAt !== null || v.state !== 'CANCELLED');
  const byResource = new Map<string, { name: string; kind: string; parts: string[] }>();
  for (const r of v.rules) {
    const entry = byResource.get(r.resourceId) ?? { name: r.resourceName, kind: r.kind, parts: [] };
    const word = RULE_WORDS[r.state] ?? 'unknown';
    entry.parts.push(`${word} for IPv${r.ipVersion}${r.error && r.state === 'FAILED' ? ` – ${teamsText(r.error, TEAMS_LIMITS.error)}` : ''}`);
    byResource.set(r.resourceId, entry);
  }
  return [...byResource.values()].map((e) => `${teamsText(e.name)} (${teamsText(e.kind)})${opened ? `: ${e.parts.join('; ')}` : ''}`);
}

/** Why some rules failed, for PARTIAL / FAILED replies. */
export function failureReasons(v: Pick<SessionView, 'rules'>): string[] {
  return v.rules.filter((r) => r.state === 'FAILED').map((r) => `${teamsText(r.resourceName)} (IPv${r.ipVersion}): ${teamsText(r.error ?? 'failed', TEAMS_LIMITS.error)}`);
}
