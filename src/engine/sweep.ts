import { and, eq, inArray, lte, ne, sql } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import { approvals, resourceEntries, resources, sessionRules, sessions } from '../db/schema/index.ts';
import type { EngineDeps } from './deps.ts';
import { HOLDING_STATES } from './state-machine.ts';
import { settleStragglers } from './settle-sessions.ts';

export interface SweepReport {
  expired: number;
  approvalsTimedOut: number;
  resourcesResynced: number;
}

/** How long a rule may sit PENDING or REMOVING before the sweep assumes its sync was lost. */
const STUCK_AFTER_MS = 60_000;

/**
 * The safety net that runs every minute: queues the end of every overdue session and approval
 * (after downtime their own jobs may be late or lost) and a sync for every resource whose rules
 * have been waiting too long. Only queues jobs; the jobs themselves are idempotent.
 */
export async function sweepOverdue(deps: EngineDeps): Promise<SweepReport> {
  const now = deps.clock.now();
  await settleStragglers(deps, { idleForMs: STUCK_AFTER_MS });
  return transaction(deps.db, async (tx) => {
    const overdue = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(inArray(sessions.state, [...HOLDING_STATES]), lte(sessions.expiresAt, now)));
    for (const s of overdue) await deps.jobs.expireSession(tx, s.id, now);

    const lateApprovals = await tx
      .selectDistinct({ sessionId: approvals.sessionId })
      .from(approvals)
      .where(and(eq(approvals.status, 'PENDING'), lte(approvals.expiresAt, now)));
    for (const a of lateApprovals) await deps.jobs.approvalTimeout(tx, a.sessionId, now);
    // Addresses captured by a browser and never confirmed in chat (their timeout rides the same job).
    const unconfirmed = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.state, 'AWAITING_CONFIRMATION'), lte(sessions.expiresAt, now)));
    for (const s of unconfirmed) await deps.jobs.approvalTimeout(tx, s.id, now);

    const stuckBefore = new Date(now.getTime() - STUCK_AFTER_MS);
    const stuck = await tx
      .selectDistinct({ resourceId: sessionRules.resourceId })
      .from(sessionRules)
      .innerJoin(sessions, eq(sessions.id, sessionRules.sessionId))
      .where(
        and(
          lte(sessionRules.updatedAt, stuckBefore),
          sql`((${sessionRules.state} = 'PENDING' and ${sessions.state} in ('PENDING','ACTIVE','PARTIAL'))
                or ${sessionRules.state} = 'REMOVING')`,
        ),
      )
      .orderBy(sessionRules.resourceId);
    // Intents a sync recorded and never confirmed (its worker died and nothing queued it again).
    const unfinished = await tx
      .selectDistinct({ resourceId: resourceEntries.resourceId })
      .from(resourceEntries)
      .where(and(lte(resourceEntries.updatedAt, stuckBefore), ne(resourceEntries.state, 'PRESENT')));
    for (const u of unfinished) if (!stuck.some((s) => s.resourceId === u.resourceId)) stuck.push(u);
    await deps.jobs.syncResources(tx, stuck.map((r) => r.resourceId));
    return { expired: overdue.length, approvalsTimedOut: lateApprovals.length, resourcesResynced: stuck.length };
  });
}

/**
 * Queues a reconcile for every active resource (drift repair both ways). Rules that failed
 * for good are given another chance here, so a PARTIAL session becomes ACTIVE once the cause
 * (a full quota, a missing permission) is fixed.
 */
export async function reconcileAll(deps: EngineDeps): Promise<number> {
  const now = deps.clock.now();
  return transaction(deps.db, async (tx) => {
    // Sessions before their rules, in id order, as every writer does.
    const retry = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          inArray(sessions.state, ['ACTIVE', 'PARTIAL']),
          sql`exists (select 1 from ${sessionRules} r where r.session_id = ${sessions.id} and r.state = 'FAILED')`,
        ),
      )
      .orderBy(sessions.id)
      .for('update');
    if (retry.length) {
      await tx
        .update(sessionRules)
        .set({ state: 'PENDING', updatedAt: now })
        .where(and(eq(sessionRules.state, 'FAILED'), inArray(sessionRules.sessionId, retry.map((r) => r.id))));
    }
    const active = await tx.select({ id: resources.id }).from(resources).where(eq(resources.isActive, true)).orderBy(resources.id);
    for (const r of active) await deps.jobs.reconcileResource(tx, r.id);
    return active.length;
  });
}

/** Queues a verification of every resource (active or not: a fixed one should come back). */
export async function verifyAll(deps: EngineDeps): Promise<number> {
  return transaction(deps.db, async (tx) => {
    const all = await tx.select({ id: resources.id }).from(resources).orderBy(resources.id);
    for (const r of all) await deps.jobs.verifyResource(tx, r.id);
    return all.length;
  });
}
