import { and, eq, inArray, sql } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { sessionRules, sessions } from '../db/schema/index.ts';
import { recordAudit, systemActor } from './audit.ts';
import type { SyncDeps } from './deps.ts';
import { ProviderError, type ApplyResult, type CidrOutcome, type ResourceTarget } from './ports.ts';
import { reconcileEntries, type Drift } from './resource-drift.ts';
import { confirmedPresent, deleteEntries, loadEntries, maybePresent, recordIntent, setState } from './resource-entries.ts';
import { withResourceLock } from './resource-lock.ts';
import { loadResourceTarget } from './resource-target.ts';
import { settleSessions } from './settle-sessions.ts';
import { HOLDING_STATES } from './state-machine.ts';

export interface SyncOptions {
  /** Compare with what the provider really holds (drift repair) instead of trusting resource_entries. */
  reconcile?: boolean;
  /** How many syncs in a row hit a retryable failure; drives the backoff. */
  attempt?: number;
}

export interface SyncReport {
  /** The provider kind of the resource ('' when the resource no longer exists). */
  kind: string;
  added: string[];
  removed: string[];
  failed: { cidr: string; op: 'add' | 'remove'; code: string; message: string; retryable: boolean }[];
  drift: Drift;
  retryAt?: Date | undefined;
  providerCalls: number;
  /** Another sync of this resource held its lock; this one was put off. */
  deferred?: boolean;
}

const MAX_BACKOFF_MS = 60_000;
/** When another sync holds the resource, try again this soon. */
const BUSY_RETRY_MS = 2_000;
/** Matches no row; `in ()` is not valid SQL. */
const NO_SESSION = '00000000-0000-0000-0000-000000000000';

/**
 * The per-resource controller (docs/architecture.md): makes the cloud hold exactly the union of
 * CIDRs that live sessions want on this resource, then settles the session rules and states that
 * depend on it. One at a time per resource (its job queue, and a lock that dies with its holder's
 * connection). Every provider call is preceded by a committed intent (resource-entries.ts), so a
 * crash at any point leaves a record the next sync finishes from. Retryable provider failures
 * schedule another sync with backoff; permanent ones fail the affected rules with the provider's
 * message.
 */
export async function syncResource(deps: SyncDeps, resourceId: string, opts: SyncOptions = {}): Promise<SyncReport> {
  const report: SyncReport = { kind: '', added: [], removed: [], failed: [], drift: { missing: [], altered: [], orphaned: [] }, providerCalls: 0 };
  const target = await loadResourceTarget(deps.db, resourceId);
  if (!target) return report;
  report.kind = target.kind;
  const done = await withResourceLock(deps.db, resourceId, () => syncLocked(deps, target, opts, report));
  if (done === undefined) {
    report.deferred = true;
    await deps.jobs.syncResources(deps.db, [resourceId], { runAt: new Date(deps.clock.now().getTime() + BUSY_RETRY_MS), attempt: opts.attempt ?? 0 });
  }
  return report;
}

async function syncLocked(deps: SyncDeps, target: ResourceTarget, opts: SyncOptions, report: SyncReport): Promise<void> {
  const resourceId = target.id;
  const provider = await deps.providers.get(target.kind);
  const desired = await desiredCidrs(deps.db, resourceId);
  let entries = await loadEntries(deps.db, resourceId);
  if (opts.reconcile) {
    const listed = await provider.list(target).catch((err: unknown) => {
      deps.logger.warn({ err, resourceId }, 'reconcile: listing failed; trusting the database this time');
      return undefined;
    });
    if (listed) ({ entries, drift: report.drift } = await reconcileEntries(deps, target, entries, listed, desired, provider));
  }

  // Unconfirmed intents are done again: adding is idempotent, and so is removing an absent rule.
  const present = confirmedPresent(entries);
  const add = [...desired].filter((c) => !present.has(c)).sort();
  const remove = [...maybePresent(entries)].filter((c) => !desired.has(c)).sort();
  const repair = report.drift.altered.map((a) => a.cidr).filter((c) => present.has(c));
  let result: ApplyResult = { added: new Map(), removed: new Map() };
  let fresh = new Set<string>();
  if (add.length || remove.length || repair.length) {
    fresh = await recordIntent(deps.db, resourceId, add, remove);
    report.providerCalls = 1;
    result = await applySafely(deps, target, { add, remove, repair });
  }

  await transaction(deps.db, async (tx) => {
    // Like every writer, lock the sessions before their rules (in id order): no deadlock with a
    // stop or an expiry running at the same moment.
    const sessionIds = await lockSessionsWithOpenRules(tx, resourceId, [...add, ...repair]);
    await recordOutcomes(tx, target, result, report, sessionIds, fresh);
    await settleRules(tx, deps, resourceId, sessionIds);
  });

  if (report.failed.some((f) => f.retryable)) {
    const attempt = (opts.attempt ?? 0) + 1;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
    report.retryAt = new Date(deps.clock.now().getTime() + delay);
    await deps.jobs.syncResources(deps.db, [resourceId], { runAt: report.retryAt, attempt });
  }
  for (const f of report.failed.filter((x) => x.op === 'remove')) {
    deps.logger.error({ resourceId, cidr: f.cidr, code: f.code }, `removal failed, will retry: ${f.message}`);
  }
}

/** CIDRs wanted on a resource: rules not released, of sessions that hold access. */
export async function desiredCidrs(tx: DbOrTx, resourceId: string): Promise<Set<string>> {
  const rows = await tx
    .selectDistinct({ cidr: sessionRules.cidr })
    .from(sessionRules)
    .innerJoin(sessions, eq(sessions.id, sessionRules.sessionId))
    .where(
      and(
        eq(sessionRules.resourceId, resourceId),
        inArray(sessionRules.state, ['PENDING', 'APPLIED']),
        inArray(sessions.state, [...HOLDING_STATES]),
      ),
    );
  return new Set(rows.map((r) => r.cidr));
}

async function applySafely(deps: SyncDeps, target: ResourceTarget, change: { add: string[]; remove: string[]; repair: string[] }): Promise<ApplyResult> {
  const provider = await deps.providers.get(target.kind);
  try {
    return await provider.apply(target, change.repair.length ? change : { add: change.add, remove: change.remove });
  } catch (err) {
    const error =
      err instanceof ProviderError
        ? err
        : new ProviderError('UNEXPECTED', `unexpected error talking to ${target.kind}`, { retryable: true, cause: err });
    if (!(err instanceof ProviderError)) deps.logger.error({ err, resourceId: target.id }, 'provider threw an unmapped error');
    const all = (cidrs: string[]) => new Map<string, CidrOutcome>(cidrs.map((c) => [c, { ok: false, error }]));
    return { added: all([...change.add, ...change.repair]), removed: all(change.remove) };
  }
}

/**
 * Sessions with rules this sync may move, locked in id order: PENDING or REMOVING rules on the
 * resource, and APPLIED ones of CIDRs being (re-)added after drift.
 */
async function lockSessionsWithOpenRules(tx: Tx, resourceId: string, readded: string[]): Promise<string[]> {
  const rows = await tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      sql`exists (select 1 from ${sessionRules} r where r.session_id = ${sessions.id} and r.resource_id = ${resourceId}
        and (r.state in ('PENDING', 'REMOVING')
          or (r.state = 'APPLIED' and r.cidr in (select json_array_elements_text(${JSON.stringify(readded)}::json)))))`,
    )
    .orderBy(sessions.id)
    .for('update');
  return rows.map((r) => r.id);
}

/**
 * Records the provider's answer per CIDR, in resource_entries (the intents settle) and on the
 * rules of the locked sessions. A session that arrived after the lock keeps its rule PENDING for
 * the sync its own start queued. `fresh`: CIDRs with no entry before this sync, so a permanent
 * failure to add them means nothing of ours is there.
 */
async function recordOutcomes(tx: Tx, target: ResourceTarget, result: ApplyResult, report: SyncReport, sessionIds: string[], fresh: Set<string>): Promise<void> {
  const resourceId = target.id;
  const ofLocked = inArray(sessionRules.sessionId, sessionIds.length ? sessionIds : [NO_SESSION]);
  const ruleOf = (cidr: string, states: ('PENDING' | 'APPLIED' | 'REMOVING')[]) =>
    and(eq(sessionRules.resourceId, resourceId), eq(sessionRules.cidr, cidr), inArray(sessionRules.state, states), ofLocked);
  for (const [cidr, outcome] of result.added) {
    if (outcome.ok) {
      report.added.push(cidr);
      await setState(tx, resourceId, [cidr], 'PRESENT', () => outcome.ruleId ?? null);
      continue;
    }
    const { error } = outcome;
    report.failed.push({ cidr, op: 'add', code: error.code, message: error.message, retryable: error.retryable });
    if (!error.retryable && fresh.has(cidr)) await deleteEntries(tx, resourceId, [cidr]);
    await tx
      .update(sessionRules)
      .set(
        error.retryable
          ? { error: `${error.message} (retrying)`, updatedAt: sql`now()` }
          : { state: 'FAILED', error: error.message, updatedAt: sql`now()` },
      )
      .where(ruleOf(cidr, ['PENDING', 'APPLIED']));
  }
  for (const [cidr, outcome] of result.removed) {
    if (outcome.ok) {
      report.removed.push(cidr);
      await deleteEntries(tx, resourceId, [cidr]);
      continue;
    }
    const { error } = outcome;
    report.failed.push({ cidr, op: 'remove', code: error.code, message: error.message, retryable: true });
    await tx
      .update(sessionRules)
      .set({ error: `removal failed, retrying: ${error.message}`, updatedAt: sql`now()` })
      .where(ruleOf(cidr, ['REMOVING']));
    await recordAudit(tx, systemActor(target.orgId, 'sync'), {
      action: 'RULE_REMOVAL_FAILED',
      result: 'FAILURE',
      targetType: 'resource',
      targetId: resourceId,
      details: { cidr, code: error.code, message: error.message },
    });
  }
}

/**
 * Moves the locked sessions' rules on this resource to where the cloud now is, then re-derives
 * the state of each of those sessions.
 */
async function settleRules(tx: Tx, deps: SyncDeps, resourceId: string, sessionIds: string[]): Promise<void> {
  if (sessionIds.length === 0) return;

  const entries = await loadEntries(tx, resourceId);
  const present = [...confirmedPresent(entries)];
  const desired = await desiredCidrs(tx, resourceId);
  const now = deps.clock.now();
  if (present.length) {
    await tx
      .update(sessionRules)
      .set({ state: 'APPLIED', appliedAt: now, error: null, updatedAt: now })
      .where(
        and(
          eq(sessionRules.resourceId, resourceId),
          inArray(sessionRules.state, ['PENDING', 'APPLIED']),
          inArray(sessionRules.cidr, present),
          inArray(sessionRules.sessionId, sessionIds),
          sql`(${sessionRules.state} = 'PENDING' or ${sessionRules.error} is not null)`,
          sql`exists (select 1 from ${sessions} s where s.id = ${sessionRules.sessionId} and s.state in ('PENDING','ACTIVE','PARTIAL'))`,
        ),
      );
  }
  // A released rule is done once nothing of its CIDR may be left in the cloud (not even an
  // unconfirmed intent), or at once if another live session still holds the same CIDR (the
  // cloud rule is shared and stays).
  const releasable = await tx
    .select({ id: sessionRules.id, cidr: sessionRules.cidr })
    .from(sessionRules)
    .where(and(eq(sessionRules.resourceId, resourceId), eq(sessionRules.state, 'REMOVING'), inArray(sessionRules.sessionId, sessionIds)));
  const done = releasable.filter((r) => !entries.has(r.cidr) || desired.has(r.cidr)).map((r) => r.id);
  if (done.length) {
    await tx
      .update(sessionRules)
      .set({ state: 'REMOVED', removedAt: now, error: null, updatedAt: now })
      .where(inArray(sessionRules.id, done));
  }
  await settleSessions(tx, deps, sessionIds);
}
