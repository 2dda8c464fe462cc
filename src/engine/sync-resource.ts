import { and, eq, inArray, sql } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { resourceEntries, sessionRules, sessions } from '../db/schema/index.ts';
import { recordAudit, systemActor } from './audit.ts';
import type { SyncDeps } from './deps.ts';
import { ProviderError, type ApplyResult, type CidrOutcome, type ProviderEntry, type ResourceTarget } from './ports.ts';
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
  drift: { missing: string[]; orphaned: string[] };
  retryAt?: Date | undefined;
  providerCalls: number;
}

const MAX_BACKOFF_MS = 60_000;
/** Matches no row; `in ()` is not valid SQL. */
const NO_SESSION = '00000000-0000-0000-0000-000000000000';

/**
 * The per-resource controller (DESIGN.md §2): makes the cloud hold exactly the union of CIDRs
 * that live sessions want on this resource, then settles the session rules and states that
 * depend on it. Runs one at a time per resource (its job queue); safe to run again at any point
 * after a crash, which is how crashes are repaired. Retryable provider failures schedule another
 * sync with backoff; permanent ones fail the affected rules with the provider's message.
 */
export async function syncResource(deps: SyncDeps, resourceId: string, opts: SyncOptions = {}): Promise<SyncReport> {
  const report: SyncReport = { kind: '', added: [], removed: [], failed: [], drift: { missing: [], orphaned: [] }, providerCalls: 0 };
  const target = await loadResourceTarget(deps.db, resourceId);
  if (!target) return report;
  report.kind = target.kind;
  const provider = await deps.providers.get(target.kind);

  const desired = await desiredCidrs(deps.db, resourceId);
  let actual = await knownEntries(deps.db, resourceId);
  if (opts.reconcile) {
    const listed = await provider.list(target).catch((err: unknown) => {
      deps.logger.warn({ err, resourceId }, 'reconcile: listing failed; trusting the database this time');
      return undefined;
    });
    if (listed) actual = await recordDrift(deps, target, actual, listed, desired, report);
  }

  const add = [...desired].filter((c) => !actual.has(c)).sort();
  const remove = [...actual.keys()].filter((c) => !desired.has(c)).sort();
  let result: ApplyResult = { added: new Map(), removed: new Map() };
  if (add.length || remove.length) {
    report.providerCalls = 1;
    result = await applySafely(deps, target, add, remove);
  }

  await transaction(deps.db, async (tx) => {
    // Like every writer, lock the sessions before their rules (in id order): no deadlock with a
    // stop or an expiry running at the same moment.
    const sessionIds = await lockSessionsWithOpenRules(tx, resourceId);
    await recordOutcomes(tx, target, result, report, sessionIds);
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
  return report;
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

async function knownEntries(tx: DbOrTx, resourceId: string): Promise<Map<string, string | null>> {
  const rows = await tx.select().from(resourceEntries).where(eq(resourceEntries.resourceId, resourceId));
  return new Map(rows.map((r) => [r.cidr, r.providerRuleId]));
}

/** Reconcile: what the cloud really holds becomes the truth; differences are audited. */
async function recordDrift(
  deps: SyncDeps,
  target: ResourceTarget,
  known: Map<string, string | null>,
  listed: ProviderEntry[],
  desired: Set<string>,
  report: SyncReport,
): Promise<Map<string, string | null>> {
  const cloud = new Map(listed.map((e) => [e.cidr, e.ruleId ?? null]));
  report.drift.missing = [...known.keys()].filter((c) => !cloud.has(c) && desired.has(c));
  report.drift.orphaned = [...cloud.keys()].filter((c) => !desired.has(c));
  await transaction(deps.db, async (tx) => {
    const gone = [...known.keys()].filter((c) => !cloud.has(c));
    if (gone.length) {
      await tx
        .delete(resourceEntries)
        .where(and(eq(resourceEntries.resourceId, target.id), inArray(resourceEntries.cidr, gone)));
    }
    const adopted = [...cloud].filter(([c]) => !known.has(c));
    if (adopted.length) {
      await tx
        .insert(resourceEntries)
        .values(adopted.map(([cidr, ruleId]) => ({ resourceId: target.id, cidr, providerRuleId: ruleId })))
        .onConflictDoNothing();
    }
    const actor = systemActor(target.orgId, 'reconcile');
    if (report.drift.missing.length) {
      await recordAudit(tx, actor, {
        action: 'RECONCILE_MISSING_RULE',
        targetType: 'resource',
        targetId: target.id,
        details: { cidrs: report.drift.missing, repair: 're-applied' },
      });
    }
    if (report.drift.orphaned.length) {
      await recordAudit(tx, actor, {
        action: 'RECONCILE_ORPHANED_RULE',
        targetType: 'resource',
        targetId: target.id,
        details: { cidrs: report.drift.orphaned, repair: 'removed' },
      });
    }
  });
  return cloud;
}

async function applySafely(deps: SyncDeps, target: ResourceTarget, add: string[], remove: string[]): Promise<ApplyResult> {
  const provider = await deps.providers.get(target.kind);
  try {
    return await provider.apply(target, { add, remove });
  } catch (err) {
    const error =
      err instanceof ProviderError
        ? err
        : new ProviderError('UNEXPECTED', `unexpected error talking to ${target.kind}`, { retryable: true, cause: err });
    if (!(err instanceof ProviderError)) deps.logger.error({ err, resourceId: target.id }, 'provider threw an unmapped error');
    const all = (cidrs: string[]) => new Map<string, CidrOutcome>(cidrs.map((c) => [c, { ok: false, error }]));
    return { added: all(add), removed: all(remove) };
  }
}

/** Sessions with rules this sync may move (PENDING or REMOVING on the resource), locked in id order. */
async function lockSessionsWithOpenRules(tx: Tx, resourceId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      sql`exists (select 1 from ${sessionRules} r where r.session_id = ${sessions.id} and r.resource_id = ${resourceId} and r.state in ('PENDING', 'REMOVING'))`,
    )
    .orderBy(sessions.id)
    .for('update');
  return rows.map((r) => r.id);
}

/**
 * Records the provider's answer per CIDR. Only rules of the locked sessions move: a session that
 * arrived after the lock keeps its rule PENDING for the sync its own start queued.
 */
async function recordOutcomes(tx: Tx, target: ResourceTarget, result: ApplyResult, report: SyncReport, sessionIds: string[]): Promise<void> {
  const resourceId = target.id;
  const ofLocked = inArray(sessionRules.sessionId, sessionIds.length ? sessionIds : [NO_SESSION]);
  for (const [cidr, outcome] of result.added) {
    if (outcome.ok) {
      report.added.push(cidr);
      await tx
        .insert(resourceEntries)
        .values({ resourceId, cidr, providerRuleId: outcome.ruleId ?? null })
        .onConflictDoUpdate({ target: [resourceEntries.resourceId, resourceEntries.cidr], set: { providerRuleId: outcome.ruleId ?? null } });
      continue;
    }
    const { error } = outcome;
    report.failed.push({ cidr, op: 'add', code: error.code, message: error.message, retryable: error.retryable });
    await tx
      .update(sessionRules)
      .set(
        error.retryable
          ? { error: `${error.message} (retrying)`, updatedAt: sql`now()` }
          : { state: 'FAILED', error: error.message, updatedAt: sql`now()` },
      )
      .where(and(eq(sessionRules.resourceId, resourceId), eq(sessionRules.cidr, cidr), eq(sessionRules.state, 'PENDING'), ofLocked));
  }
  for (const [cidr, outcome] of result.removed) {
    if (outcome.ok) {
      report.removed.push(cidr);
      await tx.delete(resourceEntries).where(and(eq(resourceEntries.resourceId, resourceId), eq(resourceEntries.cidr, cidr)));
      continue;
    }
    const { error } = outcome;
    report.failed.push({ cidr, op: 'remove', code: error.code, message: error.message, retryable: true });
    await tx
      .update(sessionRules)
      .set({ error: `removal failed, retrying: ${error.message}`, updatedAt: sql`now()` })
      .where(and(eq(sessionRules.resourceId, resourceId), eq(sessionRules.cidr, cidr), eq(sessionRules.state, 'REMOVING'), ofLocked));
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

  const entries = new Set((await knownEntries(tx, resourceId)).keys());
  const desired = await desiredCidrs(tx, resourceId);
  const now = deps.clock.now();
  const inCloud = [...entries];
  if (inCloud.length) {
    await tx
      .update(sessionRules)
      .set({ state: 'APPLIED', appliedAt: now, error: null, updatedAt: now })
      .where(
        and(
          eq(sessionRules.resourceId, resourceId),
          eq(sessionRules.state, 'PENDING'),
          inArray(sessionRules.cidr, inCloud),
          inArray(sessionRules.sessionId, sessionIds),
          sql`exists (select 1 from ${sessions} s where s.id = ${sessionRules.sessionId} and s.state in ('PENDING','ACTIVE','PARTIAL'))`,
        ),
      );
  }
  // A released rule is done once its CIDR is gone from the cloud, or at once if another live
  // session still holds the same CIDR (the cloud rule is shared and stays).
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
