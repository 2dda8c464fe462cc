import { and, eq, inArray } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import type { Tx } from '../db/client.ts';
import { approvals, roleApprovers, sessionRules, sessions } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { MINUTE_MS } from '../shared/clock.ts';
import { recordAudit, systemActor, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { lockSession, type SessionRow } from './end-session.ts';
import { runUseCase } from './use-case.ts';
import { scheduleExpiryWarning } from './expiry-warning.ts';
import { loadActiveUser } from './users.ts';

export type Decision = 'approve' | 'deny';

export interface DecideApprovalInput {
  sessionId: string;
  decision: Decision;
  reason?: string | undefined;
  actor: Actor & { userId: string; orgId: string };
}

export interface DecideResult {
  state: string;
  /** True when the request had already been decided (or withdrawn/timed out): nothing changed. */
  alreadyDecided: boolean;
  status: string;
}

/**
 * Approves or denies a session awaiting approval. Only an approver of one of the roles that
 * required it may decide, and never the requester. Approval moves the session to PENDING and
 * starts its clock; denial ends it as DENIED. A second decision changes nothing.
 * Errors: SESSION_NOT_FOUND, SELF_APPROVAL, NOT_AN_APPROVER.
 */
export async function decideApproval(deps: EngineDeps, input: DecideApprovalInput): Promise<DecideResult> {
  const { actor } = input;
  const action = input.decision === 'approve' ? 'APPROVAL_APPROVE' : 'APPROVAL_DENY';
  return runUseCase(deps, actor, { action, targetType: 'session', targetId: input.sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const session = await lockSession(tx, input.sessionId);
    const [approval] = session
      ? await tx.select().from(approvals).where(eq(approvals.sessionId, session.id))
      : [];
    if (!session || !approval || session.orgId !== me.orgId) throw new AppError('SESSION_NOT_FOUND', 'No such approval request.');
    if (session.userId === me.id) throw new AppError('SELF_APPROVAL', 'You cannot approve or deny your own request.');
    const allowed = await tx
      .select({ roleId: roleApprovers.roleId })
      .from(roleApprovers)
      .where(and(eq(roleApprovers.userId, me.id), inArray(roleApprovers.roleId, approval.roleIds)));
    if (allowed.length === 0) throw new AppError('NOT_AN_APPROVER', 'You are not an approver for this request.');
    if (approval.status !== 'PENDING' || session.state !== 'AWAITING_APPROVAL') {
      return { state: session.state, alreadyDecided: true, status: approval.status };
    }
    const state =
      input.decision === 'approve'
        ? await approve(tx, deps, session, approval.id, me.id, input.reason)
        : await deny(tx, deps, session, approval.id, { deciderId: me.id, reason: input.reason, status: 'DENIED' });
    await recordAudit(tx, actor, {
      action,
      targetType: 'session',
      targetId: session.id,
      details: { requesterId: session.userId, reason: input.reason },
    });
    return { state, alreadyDecided: false, status: input.decision === 'approve' ? 'APPROVED' : 'DENIED' };
  });
}

async function approve(tx: Tx, deps: EngineDeps, session: SessionRow, approvalId: string, deciderId: string, reason?: string) {
  const now = deps.clock.now();
  // The clock starts now, at approval, not when the request was made.
  const expiresAt = new Date(now.getTime() + session.durationMinutes * MINUTE_MS);
  await tx.update(approvals).set({ status: 'APPROVED', deciderUserId: deciderId, reason, decidedAt: now }).where(eq(approvals.id, approvalId));
  await tx.update(sessions).set({ state: 'PENDING', startedAt: now, expiresAt, updatedAt: now }).where(eq(sessions.id, session.id));
  const rules = await tx.select({ resourceId: sessionRules.resourceId }).from(sessionRules).where(eq(sessionRules.sessionId, session.id));
  await deps.jobs.syncResources(tx, rules.map((r) => r.resourceId));
  await deps.jobs.expireSession(tx, session.id, expiresAt);
  await scheduleExpiryWarning(tx, deps.jobs, session.id, expiresAt, now);
  await deps.jobs.notifySession(tx, session.id, 'approved');
  return 'PENDING';
}

async function deny(
  tx: Tx,
  deps: EngineDeps,
  session: SessionRow,
  approvalId: string,
  d: { deciderId: string | null; reason: string | undefined; status: 'DENIED' | 'TIMED_OUT' },
) {
  const now = deps.clock.now();
  await tx
    .update(approvals)
    .set({ status: d.status, deciderUserId: d.deciderId, reason: d.reason, decidedAt: now })
    .where(eq(approvals.id, approvalId));
  await tx
    .update(sessions)
    .set({
      state: 'DENIED',
      endedAt: now,
      endedReason: d.status === 'DENIED' ? 'APPROVAL_DENIED' : 'APPROVAL_TIMEOUT',
      updatedAt: now,
    })
    .where(eq(sessions.id, session.id));
  await tx.update(sessionRules).set({ state: 'REMOVED', removedAt: now, updatedAt: now }).where(eq(sessionRules.sessionId, session.id));
  await deps.jobs.notifySession(tx, session.id, 'denied');
  return 'DENIED';
}

/** Denies a request nobody answered in time (reason APPROVAL_TIMEOUT). Idempotent. */
export async function timeOutApproval(deps: EngineDeps, sessionId: string): Promise<boolean> {
  return transaction(deps.db, async (tx) => {
    const session = await lockSession(tx, sessionId);
    if (!session || session.state !== 'AWAITING_APPROVAL') return false;
    const [approval] = await tx.select().from(approvals).where(eq(approvals.sessionId, sessionId));
    if (!approval || approval.status !== 'PENDING' || approval.expiresAt.getTime() > deps.clock.now().getTime()) return false;
    await deny(tx, deps, session, approval.id, { deciderId: null, reason: 'No approver answered in time.', status: 'TIMED_OUT' });
    await recordAudit(tx, systemActor(session.orgId, 'approval-timeout'), {
      action: 'APPROVAL_TIMEOUT',
      targetType: 'session',
      targetId: session.id,
    });
    return true;
  });
}
