import { and, eq, ne } from 'drizzle-orm';
import { transaction } from '../db/transaction.ts';
import { sessionRules, sessions } from '../db/schema/index.ts';
import { AppError } from '../shared/errors.ts';
import { recordAudit, systemActor, type Actor } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { loadEntitlements } from './entitlements.ts';
import { lockSession } from './end-session.ts';
import { beginSession } from './start-session.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser } from './users.ts';

export interface ConfirmAddressResult {
  state: string;
  /** The session was no longer waiting for confirmation: nothing changed. */
  alreadyDone: boolean;
  address: string;
}

/**
 * The requester's "Open for <address>" in chat (claim.confirmInChat): opens the address their
 * browser's confirmation captured. Only the requester may, never an admin for them — the point
 * is that the person in chat recognises the address as their own. Goes on as a start would
 * (approval per role, else PENDING with the clock started); a repeat changes nothing.
 * Errors: SESSION_NOT_FOUND, NOT_REQUESTER, CLAIM_EXPIRED (the window passed).
 */
export async function confirmAddress(deps: EngineDeps, input: { sessionId: string; actor: Actor & { userId: string; orgId: string } }): Promise<ConfirmAddressResult> {
  const { actor } = input;
  return runUseCase(deps, actor, { action: 'SESSION_CONFIRM_ADDRESS', targetType: 'session', targetId: input.sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const session = await lockSession(tx, input.sessionId);
    if (!session || session.orgId !== me.orgId) throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    if (session.userId !== me.id) {
      throw new AppError('NOT_REQUESTER', 'Only the person who asked for this session can open it: they confirm the address is theirs.');
    }
    const address = session.ipv4 ?? session.ipv6 ?? '';
    if (session.state !== 'AWAITING_CONFIRMATION') return { state: session.state, alreadyDone: true, address };
    if (session.expiresAt && session.expiresAt <= deps.clock.now()) {
      throw new AppError('CLAIM_EXPIRED', 'This address was not confirmed in time. Start again from chat.');
    }
    const rules = await tx
      .selectDistinct({ resourceId: sessionRules.resourceId })
      .from(sessionRules)
      .where(and(eq(sessionRules.sessionId, session.id), ne(sessionRules.state, 'REMOVED')))
      .orderBy(sessionRules.resourceId);
    // Approval is asked now, by the roles the requester has now.
    const { approvalRoles } = await loadEntitlements(tx, session.userId);
    const state = await beginSession(tx, deps, session, approvalRoles, rules.map((r) => r.resourceId));
    await recordAudit(tx, actor, { action: 'SESSION_CONFIRM_ADDRESS', targetType: 'session', targetId: session.id, details: { address, state } });
    return { state, alreadyDone: false, address };
  });
}

/**
 * Drops a captured address nobody confirmed within the window (the approval_timeout job runs it
 * at the deadline): the session ends CANCELLED with reason NOT_CONFIRMED, having opened nothing.
 * Idempotent; false when there was nothing to drop.
 */
export async function dropUnconfirmed(deps: EngineDeps, sessionId: string): Promise<boolean> {
  return transaction(deps.db, async (tx) => {
    const session = await lockSession(tx, sessionId);
    const now = deps.clock.now();
    if (!session || session.state !== 'AWAITING_CONFIRMATION' || (session.expiresAt && session.expiresAt > now)) return false;
    await tx.update(sessions).set({ state: 'CANCELLED', endedAt: now, endedReason: 'NOT_CONFIRMED', updatedAt: now }).where(eq(sessions.id, session.id));
    await tx.update(sessionRules).set({ state: 'REMOVED', removedAt: now, updatedAt: now }).where(eq(sessionRules.sessionId, session.id));
    await deps.jobs.notifySession(tx, session.id, 'ended');
    await recordAudit(tx, systemActor(session.orgId, 'confirmation-timeout'), { action: 'SESSION_NOT_CONFIRMED', targetType: 'session', targetId: session.id });
    return true;
  });
}
