import { and, eq, inArray, sql } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { sessionRules, sessions } from '../db/schema/index.ts';
import { recordAudit, systemActor } from './audit.ts';
import type { SyncDeps } from './deps.ts';
import { ProviderError, type ApplyResult, type CidrOutcome, type ResourceTarget } from './ports.ts';
import { reconcileEntries, type Drift } from './resource-drift.ts';
import { confirmedPresent, deleteEntries, loadEntries, maybePresent, recordIntent, setStates } from './resource-entries.ts';
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
  /** For each rule of an ended session whose removal this sync confirmed: seconds since its session ended. */
  outlivedSeconds: number[];
  /** Another sync of this resource held its lock; this one was put off. */
  deferred?: boolean;
  /** Where the time went (ms): waiting for the resource lock, the provider's apply, the rest. */
  timings: { lockMs: number; providerMs: number; totalMs: number };
}

const MAX_BACKOFF_MS = 60_000;
/** When another sync holds the resource, try again this soon. */
const BUSY_RETRY_MS = 2_000;

/**
 * The per-resource controller (docs/architecture.md §3): makes the cloud hold exactly the union of
 * CIDRs that live sessions want on this resource, then settles the session rules and states that
 * depend on it. One at a time per resource (its job queue, and a lock that dies with its holder's
 * connection). Every provider call is preceded by a committed intent (resource-entries.ts), so a
 * crash at any point leaves a record the next sync finishes from. Retryable provider failures
 * schedule another sync with backoff; permanent ones fail the affected rules with the provider's
 * message.
 */
export async function syncResource(deps: SyncDeps, resourceId: string, opts: SyncOptions = {}): Promise<SyncReport> {
  const t0 = performance.now();
  const report: SyncReport = { kind: '', added: [], removed: [], failed: [], drift: { missing: [], altered: [], orphaned: [] }, providerCalls: 0, outlivedSeconds: [], timings: { lockMs: 0, providerMs: 0, totalMs: 0 } };
  const target = await loadResourceTarget(deps.db, resourceId);
  if (!target) return report;
  report.kind = target.kind;
  const done = await withResourceLock(deps.db, resourceId, async () => {
    report.timings.lockMs = performance.now() - t0;
    await syncLocked(deps, target, opts, report);
    return true;
  });
  report.timings.totalMs = performance.now() - t0;
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
    const applyStart = performance.now();
    result = await applySafely(deps, target, { add, remove, repair });
    report.timings.providerMs = performance.now() - applyStart;
  }

  // The outcome per CIDR and what it means for the rules; then, once that committed, the state
  // of every session whose rules moved (settle-sessions.ts: whichever sync commits last sees all).
  const { touched, outlived } = await transaction(deps.db, async (tx) => {
    const failedRules = await recordOutcomes(tx, target, result, report, fresh);
    const settled = await settleRules(tx, deps, resourceId);
    return { touched: [...failedRules, ...settled.sessions], outlived: settled.outlivedSeconds };
  });
  report.outlivedSeconds = outlived;
  if (touched.length) await transaction(deps.db, (tx) => settleSessions(tx, deps, touched));

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
 * Records the provider's answer per CIDR, in resource_entries (the intents settle) and on the
 * rules waiting for it, in a few statements whatever the number of CIDRs. Returns the sessions of
 * rules that failed. `fresh`: CIDRs with no entry before this sync, so a permanent failure to add
 * them means nothing of ours is there.
 */
async function recordOutcomes(tx: Tx, target: ResourceTarget, result: ApplyResult, report: SyncReport, fresh: Set<string>): Promise<string[]> {
  const resourceId = target.id;
  const present: { cidr: string; ruleId: string | null }[] = [];
  const addFailures: { cidr: string; state: 'PENDING' | 'FAILED'; error: string }[] = [];
  for (const [cidr, outcome] of result.added) {
    if (outcome.ok) {
      report.added.push(cidr);
      present.push({ cidr, ruleId: outcome.ruleId ?? null });
      continue;
    }
    const { error } = outcome;
    report.failed.push({ cidr, op: 'add', code: error.code, message: error.message, retryable: error.retryable });
    addFailures.push(error.retryable ? { cidr, state: 'PENDING', error: `${error.message} (retrying)` } : { cidr, state: 'FAILED', error: error.message });
  }
  const removed: string[] = [];
  const removeFailures: { cidr: string; state: 'REMOVING'; error: string }[] = [];
  for (const [cidr, outcome] of result.removed) {
    if (outcome.ok) {
      report.removed.push(cidr);
      removed.push(cidr);
      continue;
    }
    const { error } = outcome;
    report.failed.push({ cidr, op: 'remove', code: error.code, message: error.message, retryable: true });
    removeFailures.push({ cidr, state: 'REMOVING', error: `removal failed, retrying: ${error.message}` });
    await recordAudit(tx, systemActor(target.orgId, 'sync'), {
      action: 'RULE_REMOVAL_FAILED',
      result: 'FAILURE',
      targetType: 'resource',
      targetId: resourceId,
      details: { cidr, code: error.code, message: error.message },
    });
  }
  await setStates(tx, resourceId, present, 'PRESENT');
  await deleteEntries(tx, resourceId, [...removed, ...addFailures.filter((f) => f.state === 'FAILED' && fresh.has(f.cidr)).map((f) => f.cidr)]);
  const failed = await markRules(tx, resourceId, [...addFailures, ...removeFailures]);
  return failed;
}

/**
 * Sets the error (and, for a permanent failure, FAILED) on the rules of each CIDR still waiting:
 * PENDING or APPLIED ones for a failed add (an APPLIED one is being re-added after drift),
 * REMOVING ones for a failed removal. Returns their sessions.
 */
async function markRules(tx: Tx, resourceId: string, marks: { cidr: string; state: 'PENDING' | 'FAILED' | 'REMOVING'; error: string }[]): Promise<string[]> {
  if (marks.length === 0) return [];
  const rows = await tx.execute<{ session_id: string }>(sql`
    update session_rules r set state = case when m.state = 'FAILED' then 'FAILED' else r.state end, error = m.error, updated_at = now()
    from json_to_recordset(${JSON.stringify(marks)}::json) as m(cidr text, state text, error text)
    where r.resource_id = ${resourceId} and r.cidr = m.cidr
      and (case when m.state = 'REMOVING' then r.state = 'REMOVING' else r.state in ('PENDING', 'APPLIED') end)
    returning r.session_id`);
  return rows.map((r) => r.session_id);
}

/**
 * Moves the rules on this resource to where the cloud now is: waiting ones whose CIDR is there
 * become APPLIED; released ones become REMOVED once nothing of their CIDR may be left (not even
 * an unconfirmed intent), or at once if another live session still holds the same CIDR (the
 * cloud rule is shared and stays). Returns the sessions of the rules it moved, and for each
 * released rule how long it outlived its session (for /metrics).
 */
async function settleRules(tx: Tx, deps: SyncDeps, resourceId: string): Promise<{ sessions: string[]; outlivedSeconds: number[] }> {
  const entries = await loadEntries(tx, resourceId);
  const present = JSON.stringify([...confirmedPresent(entries)]);
  const maybe = JSON.stringify([...entries.keys()]);
  const desired = JSON.stringify([...(await desiredCidrs(tx, resourceId))]);
  const now = deps.clock.now().toISOString();
  const applied = await tx.execute<{ session_id: string }>(sql`
    update session_rules r set state = 'APPLIED', applied_at = ${now}::timestamptz, error = null, updated_at = ${now}::timestamptz
    from sessions s
    where s.id = r.session_id and s.state in ('PENDING', 'ACTIVE', 'PARTIAL')
      and r.resource_id = ${resourceId} and (r.state = 'PENDING' or (r.state = 'APPLIED' and r.error is not null))
      and r.cidr in (select json_array_elements_text(${present}::json))
    returning r.session_id`);
  const released = await tx.execute<{ session_id: string; outlived: number | null }>(sql`
    update session_rules r set state = 'REMOVED', removed_at = ${now}::timestamptz, error = null, updated_at = ${now}::timestamptz
    where r.resource_id = ${resourceId} and r.state = 'REMOVING'
      and (r.cidr not in (select json_array_elements_text(${maybe}::json)) or r.cidr in (select json_array_elements_text(${desired}::json)))
    returning r.session_id,
      (select extract(epoch from ${now}::timestamptz - s.ended_at)::float8 from sessions s where s.id = r.session_id) as outlived`);
  return {
    sessions: [...applied, ...released].map((r) => r.session_id),
    outlivedSeconds: released.flatMap((r) => (r.outlived === null ? [] : [Math.max(0, Number(r.outlived))])),
  };
}
