import { and, eq } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { transaction } from '../db/transaction.ts';
import { sessionRules, sessions, type PortRange, type RuleState, type SessionState } from '../db/schema/index.ts';
import { accessLabel } from '../shared/access-label.ts';
import { AppError } from '../shared/errors.ts';
import { canonicalIp, cidrContains, cidrVersion, ipVersion } from '../shared/ip.ts';
import { recordAudit } from './audit.ts';
import type { SyncDeps } from './deps.ts';
import type { ProviderEntry } from './ports.ts';
import type { UserActor } from './powers.ts';
import { loadResourceTarget } from './resource-target.ts';
import { isHolding } from './state-machine.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';
import { withTimeout } from '../shared/timeout.ts';

/** Where a session's rule stands in the cloud right now, read live through the provider. */
export type CloudPresence = 'present' | 'missing' | 'altered' | 'not-open' | 'unknown';

export interface RuleCheck {
  cidr: string;
  ipVersion: 4 | 6;
  /** What EntryGuard recorded (PENDING, APPLIED, FAILED …). */
  state: RuleState;
  inCloud: CloudPresence;
  /** What is wrong with it in the cloud, in words ("tcp/5432 missing"). */
  problems: string[];
}

export interface ResourceCheck {
  name: string;
  kind: string;
  /** What the resource opens: "tcp/5432", "udp (all ports)", "all traffic". */
  opens: string[];
  rules: RuleCheck[];
  /** A rule was missing or altered in the cloud: a repair was queued. */
  repairing: boolean;
  /** The provider could not be read (the reason, for the page). */
  unreadable?: string | undefined;
}

export type VerdictKind = 'ok' | 'address-changed' | 'family-mismatch' | 'rule-missing' | 'ports' | 'not-live' | 'cannot-read' | 'failed';

export interface Verdict {
  kind: VerdictKind;
  /** In plain words, for the person. */
  text: string;
}

export interface AccessCheck {
  sessionId: string;
  state: SessionState;
  expiresAt: Date | null;
  /** Every address the session holds (not released). */
  addresses: string[];
  /** The addresses the person comes from now. */
  seen: string[];
  /** Seen addresses the session does not hold: what a move or an add would open. */
  newAddresses: string[];
  resources: ResourceCheck[];
  verdicts: Verdict[];
}

/** How long one provider may take to list its rules before the check says it could not tell. */
const LIST_TIMEOUT_MS = 10_000;

/**
 * "Why can't I connect?": compares a live session with where its owner comes from now and with
 * what the clouds really hold, rule by rule, and says what is wrong in plain words. A rule the
 * database says is open but the cloud lacks (or holds altered) gets its resource reconciled at
 * once (repair). Only the session's owner may check it, whatever their other powers: the answer
 * shows the session's addresses and ports, and nothing about anyone else (other people's CIDRs on
 * the same firewall are never looked at). Audited (SESSION_CHECK).
 * Errors: SESSION_NOT_FOUND, NO_IP_ADDRESS.
 */
export async function checkAccess(deps: SyncDeps, actor: UserActor, input: { sessionId: string; seen: string[] }): Promise<AccessCheck> {
  const seen = [...new Set(input.seen.map((ip) => canonicalIp(ip)).filter((ip): ip is string => ip !== undefined))];
  const base = await runUseCase(deps, actor, { action: 'SESSION_CHECK', targetType: 'session', targetId: input.sessionId }, (tx) =>
    loadOwnSession(tx, actor, input.sessionId),
  );
  if (seen.length === 0) throw new AppError('NO_IP_ADDRESS', 'EntryGuard could not tell your IP address from this connection.');

  const live = isHolding(base.session.state);
  const byResource = groupBy(base.rules, (r) => r.resourceId);
  const resources = await Promise.all([...byResource].map(([resourceId, rules]) => checkResource(deps, resourceId, rules, live)));
  const addresses = heldAddresses(base.rules);
  const check: AccessCheck = {
    sessionId: base.session.id,
    state: base.session.state,
    expiresAt: base.session.expiresAt,
    addresses,
    seen,
    newAddresses: seen.filter((ip) => !addresses.some((cidr) => cidrContains(cidr, ip))),
    resources: resources.map((r) => r.check),
    verdicts: [],
  };
  check.verdicts = verdictsOf(check, live);

  const repair = resources.filter((r) => r.check.repairing).map((r) => r.resourceId);
  await transaction(deps.db, async (tx) => {
    for (const id of repair) await deps.jobs.reconcileResource(tx, id);
    await recordAudit(tx, actor, {
      action: 'SESSION_CHECK',
      targetType: 'session',
      targetId: check.sessionId,
      details: { seen, addresses, verdicts: check.verdicts.map((v) => v.kind), repairing: resources.filter((r) => r.check.repairing).map((r) => r.check.name) },
    });
  });
  return check;
}

type RuleRow = typeof sessionRules.$inferSelect;

/** The caller's own session and its rules; anyone else's is "not found" (ids cannot be probed). */
async function loadOwnSession(tx: Tx, actor: UserActor, sessionId: string) {
  const me = await loadActiveUser(tx, actor.orgId, actor.userId);
  const [session] = /^[0-9a-f-]{36}$/i.test(sessionId)
    ? await tx.select().from(sessions).where(and(eq(sessions.id, sessionId), eq(sessions.orgId, me.orgId), eq(sessions.userId, me.id)))
    : [];
  if (!session) throw new AppError('SESSION_NOT_FOUND', 'No such session.');
  const rules = await tx.select().from(sessionRules).where(eq(sessionRules.sessionId, session.id));
  return { session, rules };
}

/** The addresses a session holds: its rules' CIDRs that are not being released. */
export function heldAddresses(rules: Pick<RuleRow, 'cidr' | 'state'>[]): string[] {
  const held = rules.filter((r) => r.state === 'PENDING' || r.state === 'APPLIED' || r.state === 'FAILED').map((r) => r.cidr);
  return [...new Set(held)].sort();
}

async function checkResource(deps: SyncDeps, resourceId: string, rules: RuleRow[], live: boolean): Promise<{ resourceId: string; check: ResourceCheck }> {
  const target = await loadResourceTarget(deps.db, resourceId);
  const mine = rules.filter((r) => r.state !== 'REMOVED');
  const check: ResourceCheck = { name: target?.name ?? 'a deleted resource', kind: target?.kind ?? '', opens: opensOf(target?.ports ?? []), rules: [], repairing: false };
  let listed: ProviderEntry[] | undefined;
  if (target && live) {
    try {
      const provider = await deps.providers.get(target.kind);
      listed = await withTimeout(provider.list(target), LIST_TIMEOUT_MS);
      if (!listed) check.unreadable = 'this kind of firewall cannot be read back';
    } catch (err) {
      check.unreadable = err instanceof Error ? err.message : String(err);
    }
  }
  // Only this session's CIDRs are looked up: other people's rules on the same firewall stay unseen.
  const cloud = new Map((listed ?? []).map((e) => [e.cidr, e]));
  check.rules = mine.map((r) => {
    const entry = cloud.get(r.cidr);
    const inCloud: CloudPresence =
      r.state !== 'APPLIED' ? 'not-open' : !listed ? 'unknown' : !entry ? 'missing' : entry.intact === false ? 'altered' : 'present';
    return { cidr: r.cidr, ipVersion: r.ipVersion, state: r.state, inCloud, problems: inCloud === 'altered' ? (entry?.problems ?? []) : [] };
  });
  check.repairing = check.rules.some((r) => r.inCloud === 'missing' || r.inCloud === 'altered');
  return { resourceId, check };
}

function opensOf(ports: PortRange[]): string[] {
  if (ports.length === 0) return ['all traffic'];
  return ports.map((p) => accessLabel(p.protocol, p.from === undefined ? undefined : p.to === undefined || p.to === p.from ? String(p.from) : `${p.from}-${p.to}`));
}

/** The plain-word answers, most important first. */
function verdictsOf(check: AccessCheck, live: boolean): Verdict[] {
  if (!live) return [{ kind: 'not-live', text: notLiveText(check.state) }];
  const verdicts: Verdict[] = [];
  const held = (v: 4 | 6) => check.addresses.filter((c) => cidrVersion(c) === v);
  for (const ip of check.newAddresses) {
    const v = ipVersion(ip)!;
    const same = held(v);
    if (same.length) verdicts.push({ kind: 'address-changed', text: `Your address changed from ${same.map(hostOf).join(', ')} to ${ip}.` });
    else {
      const other = v === 4 ? 'IPv6' : 'IPv4';
      verdicts.push({ kind: 'family-mismatch', text: `Your computer uses IPv${v} here (${ip}) but the session opened only ${other}.` });
    }
  }
  for (const r of check.resources) {
    for (const rule of r.rules.filter((x) => x.inCloud === 'missing' || x.inCloud === 'altered')) {
      const what = rule.inCloud === 'missing' ? `The rule for ${r.opens.join(', ')} from ${hostOf(rule.cidr)} is missing in the cloud` : `The rule for ${hostOf(rule.cidr)} was changed in the cloud (${rule.problems.join('; ')})`;
      verdicts.push({ kind: 'rule-missing', text: `${r.name}: ${what}; repairing now.` });
    }
    for (const rule of r.rules.filter((x) => x.state === 'FAILED')) {
      verdicts.push({ kind: 'failed', text: `${r.name}: ${hostOf(rule.cidr)} could not be opened.` });
    }
    if (r.unreadable) verdicts.push({ kind: 'cannot-read', text: `${r.name}: EntryGuard could not read this firewall right now, so it cannot say whether your rule is there.` });
    verdicts.push({ kind: 'ports', text: `${r.name} only opens ${r.opens.join(', ')}.` });
  }
  if (!verdicts.some((v) => v.kind !== 'ports')) verdicts.unshift({ kind: 'ok', text: 'Your address is the one the session opened, and every rule is in place.' });
  // What is wrong first; what each resource opens last (stable within a kind).
  return verdicts.sort((a, b) => Number(a.kind === 'ports') - Number(b.kind === 'ports'));
}

function notLiveText(state: SessionState): string {
  if (state === 'AWAITING_APPROVAL') return 'This session is waiting for an approver; nothing is open yet.';
  if (state === 'AWAITING_CONFIRMATION') return 'This session waits for you to confirm its address in chat; nothing is open yet.';
  return 'This session has ended; nothing of it is open. Start a new one from chat.';
}

const hostOf = (cidr: string) => cidr.replace(/\/(32|128)$/, '');

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
