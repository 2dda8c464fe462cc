import { AppError } from '../shared/errors.ts';
import { recordAudit } from './audit.ts';
import type { EngineDeps } from './deps.ts';
import { beginEnding, lockSession } from './end-session.ts';
import { canStop } from './state-machine.ts';
import { runUseCase } from './use-case.ts';
import { loadActiveUser, loadOrg } from './users.ts';
import { actsAsSessionAdmin, type UserActor } from './powers.ts';
import { spendAction } from './throttle.ts';

export interface StopSessionInput {
  sessionId: string;
  actor: UserActor;
  /** The admin "stop any session" path: always reason ADMIN, and the actor must be an admin. */
  asAdmin?: boolean;
}

export interface StopResult {
  state: string;
  /** True when the session had already ended or was ending: nothing was changed. */
  alreadyEnded: boolean;
}

/**
 * Stops a session (owner or org admin). Allowed from AWAITING_APPROVAL, PENDING, ACTIVE, PARTIAL;
 * stopping a session that already ended or is ending changes nothing and says so (a double
 * click is not an error). Reason MANUAL for the owner, ADMIN for an admin stopping someone
 * else's session or using the admin path.
 * Errors: SESSION_NOT_FOUND (also for sessions of other users, so ids are not probed), FORBIDDEN.
 */
export async function stopSession(deps: EngineDeps, input: StopSessionInput): Promise<StopResult> {
  const { actor } = input;
  return runUseCase(deps, actor, { action: 'SESSION_STOP', targetType: 'session', targetId: input.sessionId }, async (tx) => {
    const me = await loadActiveUser(tx, actor.orgId, actor.userId);
    const session = await lockSession(tx, input.sessionId);
    const isOwner = session?.userId === me.id;
    const isAdmin = actsAsSessionAdmin(me, actor);
    if (!session || session.orgId !== me.orgId || (!isOwner && !isAdmin)) {
      throw new AppError('SESSION_NOT_FOUND', 'No such session.');
    }
    if (input.asAdmin && !isAdmin) throw new AppError('FORBIDDEN', 'Only an admin can do that.');
    if (!canStop(session.state)) {
      await recordAudit(tx, actor, {
        action: 'SESSION_STOP',
        targetType: 'session',
        targetId: session.id,
        details: { alreadyEnded: true, state: session.state },
      });
      return { state: session.state, alreadyEnded: true };
    }
    // Spends from the actor's budget (so start/stop churn is bounded) but is never refused.
    await spendAction(tx, deps.clock.now(), me.id, (await loadOrg(tx, me.orgId)).settings, { force: true });
    const reason = input.asAdmin || !isOwner ? 'ADMIN' : 'MANUAL';
    const state = await beginEnding(tx, deps, session, reason);
    await recordAudit(tx, actor, {
      action: 'SESSION_STOP',
      targetType: 'session',
      targetId: session.id,
      details: { reason, from: session.state, to: state, ownerId: session.userId },
    });
    return { state, alreadyEnded: false };
  });
}
