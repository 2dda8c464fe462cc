import { and, eq, inArray } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import type { Tx } from '../db/client.ts';
import { approvals, roleApprovers, sessionRules, sessions, type ApprovalStatus } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { summarizeApprovals } from './approval-summary.ts';
import { recordAudit, systemActor, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { lockSession, type SessionRow } from './end-session.ts';
import { runUseCase } from './use-case.ts';
import { beginSession } from './start-session.ts';
import { loadActiveUser } from './users.ts';

export type Decision = 'approve' | 'deny';

export interface DecideApprovalInput {
  sessionId: string;
  decision: Decision;
  /** The role (id or name) decided for, as a role's card says; omitted: every role of the request
   *  the actor approves for. */
  role?: string | undefined;
  reason?: string | undefined;
  actor: Actor & { userId: string; orgId: string };
}

export interface DecideResult {
  state: string;
  /** True when nothing was left for this actor to decide (decided, withdrawn or timed out). */
  alreadyDecided: boolean;
  /** The approval of the session as a whole after the call (PENDING while roles still wait). */
  status: string;
  /** Roles whose approvers have not answered yet. */
  waitingFor: string[];
  /** The roles this call decided. */
  decided: string[];
}

type ApprovalRow = typeof approvals.$inferSelect;

/**
 * Approves or denies a session awaiting approval, for the roles the actor approves for (or the
 * one named). Each role of the request decides through its own approvers: the session opens
 * (PENDING, its clock starts) only when every role approved; one role's denial denies it and
 * withdraws the other roles' requests. Never the requester. Each role decided is audited on its
 * own; a repeated decision changes nothing.
 * Errors: SESSION_NOT_FOUND, SELF_APPROVAL, NOT_AN_APPROVER.
 */
export async function decideApproval(deps: EngineDeps, input: DecideApprovalInput): Promise<DecideResult> {
  const { actor } = input;
  const action = input.decision === 'approve' ? 'APPROVAL_APPROVE' : 'APPROVAL_DENY';
  return runUseCase(deps, actor, { action, targetType: 'session', targetId: input.sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const session = await lockSession(tx, input.sessionId);
    const rows = session ? await tx.select().from(approvals).where(eq(approvals.sessionId, session.id)) : [];
    if (!session || rows.length === 0 || session.orgId !== me.orgId) throw new AppError('SESSION_NOT_FOUND', 'No such approval request.');
    if (session.userId === me.id) throw new AppError('SELF_APPROVAL', 'You cannot approve or deny your own request.');
    const named = input.role === undefined ? rows : rows.filter((r) => r.roleId === input.role || r.roleName === input.role);
    const mine = await approverRoles(tx, me.id, named);
    const targets = named.filter((r) => r.roleId && mine.has(r.roleId));
    if (targets.length === 0) {
      const which = input.role !== undefined && named.length ? ` for role ${named[0]!.roleName}` : '';
      throw new AppError('NOT_AN_APPROVER', `You are not an approver${which} of this request.`, { details: { role: input.role } });
    }
    const open = session.state === 'AWAITING_APPROVAL' ? targets.filter((r) => r.status === 'PENDING') : [];
    if (open.length === 0) return result(session.state, rows, [], true);

    const now = deps.clock.now();
    const status: ApprovalStatus = input.decision === 'approve' ? 'APPROVED' : 'DENIED';
    const ids = open.map((r) => r.id);
    await tx.update(approvals).set({ status, deciderUserId: me.id, reason: input.reason, decidedAt: now }).where(inArray(approvals.id, ids));
    for (const r of open) {
      await recordAudit(tx, actor, {
        action,
        targetType: 'session',
        targetId: session.id,
        details: { requesterId: session.userId, role: r.roleName, roleId: r.roleId, reason: input.reason },
      });
    }
    const after = rows.map((r) => (ids.includes(r.id) ? { ...r, status, deciderUserId: me.id, reason: input.reason ?? null, decidedAt: now } : r));
    let state: string = session.state;
    if (status === 'DENIED') state = await endDenied(tx, deps, session, 'APPROVAL_DENIED');
    else if (after.every((r) => r.status === 'APPROVED')) state = await openApproved(tx, deps, session);
    else {
      // Still waiting for other roles: the timeout follows the earliest deadline still open.
      const next = Math.min(...after.filter((r) => r.status === 'PENDING').map((r) => r.expiresAt.getTime()));
      await deps.jobs.approvalTimeout(tx, session.id, new Date(next));
      await deps.jobs.notifySession(tx, session.id, 'state_changed');
    }
    return result(state, after, open.map((r) => r.roleName), false);
  });
}

async function approverRoles(tx: Tx, userId: string, rows: ApprovalRow[]): Promise<Set<string>> {
  const roleIds = rows.map((r) => r.roleId).filter((id): id is string => id !== null);
  if (roleIds.length === 0) return new Set();
  const found = await tx
    .select({ roleId: roleApprovers.roleId })
    .from(roleApprovers)
    .where(and(eq(roleApprovers.userId, userId), inArray(roleApprovers.roleId, roleIds)));
  return new Set(found.map((r) => r.roleId));
}

function result(state: string, rows: ApprovalRow[], decided: string[], alreadyDecided: boolean): DecideResult {
  const summary = summarizeApprovals(rows);
  return { state, alreadyDecided, status: summary?.status ?? 'WITHDRAWN', waitingFor: summary?.waitingFor ?? [], decided };
}

/** Every role approved: the clock starts now (not at the request) and the rules are applied. */
async function openApproved(tx: Tx, deps: EngineDeps, session: SessionRow) {
  const rules = await tx.selectDistinct({ resourceId: sessionRules.resourceId }).from(sessionRules).where(eq(sessionRules.sessionId, session.id)).orderBy(sessionRules.resourceId);
  return beginSession(tx, deps, session, [], rules.map((r) => r.resourceId));
}

/** Ends a request one role refused (or let time out): the other roles' requests are withdrawn. */
async function endDenied(tx: Tx, deps: EngineDeps, session: SessionRow, reason: 'APPROVAL_DENIED' | 'APPROVAL_TIMEOUT') {
  const now = deps.clock.now();
  await tx
    .update(approvals)
    .set({ status: 'WITHDRAWN', decidedAt: now })
    .where(and(eq(approvals.sessionId, session.id), eq(approvals.status, 'PENDING')));
  await tx.update(sessions).set({ state: 'DENIED', endedAt: now, endedReason: reason, updatedAt: now }).where(eq(sessions.id, session.id));
  await tx.update(sessionRules).set({ state: 'REMOVED', removedAt: now, updatedAt: now }).where(eq(sessionRules.sessionId, session.id));
  await deps.jobs.notifySession(tx, session.id, 'denied');
  return 'DENIED';
}

/**
 * Denies a request when a role's approvers did not answer by that role's deadline (reason
 * APPROVAL_TIMEOUT); a role already approved never times out. Run early (another role's deadline
 * is later), it reschedules itself for the earliest deadline still open. Idempotent.
 */
export async function timeOutApproval(deps: EngineDeps, sessionId: string): Promise<boolean> {
  return transaction(deps.db, async (tx) => {
    const session = await lockSession(tx, sessionId);
    if (!session || session.state !== 'AWAITING_APPROVAL') return false;
    const now = deps.clock.now().getTime();
    const pending = (await tx.select().from(approvals).where(eq(approvals.sessionId, sessionId))).filter((r) => r.status === 'PENDING');
    const late = pending.filter((r) => r.expiresAt.getTime() <= now);
    if (late.length === 0) {
      if (pending.length) await deps.jobs.approvalTimeout(tx, sessionId, new Date(Math.min(...pending.map((r) => r.expiresAt.getTime()))));
      return false;
    }
    await tx
      .update(approvals)
      .set({ status: 'TIMED_OUT', reason: 'No approver answered in time.', decidedAt: deps.clock.now() })
      .where(inArray(approvals.id, late.map((r) => r.id)));
    await endDenied(tx, deps, session, 'APPROVAL_TIMEOUT');
    await recordAudit(tx, systemActor(session.orgId, 'approval-timeout'), {
      action: 'APPROVAL_TIMEOUT',
      targetType: 'session',
      targetId: session.id,
      details: { roles: late.map((r) => r.roleName) },
    });
    return true;
  });
}
